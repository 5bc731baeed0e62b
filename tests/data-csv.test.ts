/**
 * fe.data.csv: parsing (RFC 4180 quoting, chunk boundaries anywhere, UTF-8), column configs
 * against TensorFlow.js' tf.data.csv, sources (file, Blob, bytes, http), errors, and a
 * multi-megabyte file streamed in fixed-size chunks with bounded memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as fe from 'ferrite-ml';

const dir = mkdtempSync(join(tmpdir(), 'ferrite-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => fe.setBackend('js'));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const bytes = (s: string) => new TextEncoder().encode(s);

/** Reads every element through chunks of `chunkSize` bytes. */
async function readChunked(text: string, chunkSize: number, config: fe.data.CSVConfig = {}): Promise<unknown[]> {
  return fe.data.csv(new fe.data.FileDataSource(bytes(text), { chunkSize }), config).toArray();
}

describe('fe.data.csv parsing', () => {
  const tricky =
    '\uFEFFname,note,n\r\n' +
    '"Zoë, the ""first""","line one\nline two",1\r\n' +
    '\r\n' +
    'plain,"",2\r\n' +
    '漢字🙂,"ends with quote """,-3.5\n' +
    'last,no newline at end,4';
  const expected = [
    { name: 'Zoë, the "first"', note: 'line one\nline two', n: 1 },
    { name: 'plain', note: undefined, n: 2 },
    { name: '漢字🙂', note: 'ends with quote "', n: -3.5 },
    { name: 'last', note: 'no newline at end', n: 4 },
  ];

  it('quoted delimiters, line breaks and doubled quotes, CRLF, a BOM, blank lines and no final newline', async () => {
    expect(await readChunked(tricky, 1 << 20)).toEqual(expected);
  });

  it('gives the same records whatever the chunk boundaries (inside quotes, CRLF, multi-byte characters)', async () => {
    for (const chunkSize of [1, 2, 3, 4, 5, 7, 11, 64]) {
      expect(await readChunked(tricky, chunkSize), `chunkSize ${chunkSize}`).toEqual(expected);
    }
  });

  it('columnNames() reads the header; a trailing delimiter is an empty last field', async () => {
    const ds = fe.data.csv(bytes('a,b,c\n1,2,\n'));
    expect(await ds.columnNames()).toEqual(['a', 'b', 'c']);
    expect(await ds.toArray()).toEqual([{ a: 1, b: 2, c: undefined }]);
  });

  it('an unterminated quote and a short row name their line', async () => {
    await expect(fe.data.csv(bytes('a,b\n1,2\n3,"open\n4,5\n')).toArray()).rejects.toThrow(/quoted field that starts on line 3 is never closed/);
    await expect(fe.data.csv(bytes('a,b\n1,2\n3\n')).toArray()).rejects.toThrow(/line 3 has 1 field, expected 2: 3/);
  });
});

describe('fe.data.csv configuration, as tf.data.csv', () => {
  const text = 'id,age,city,label\n1,34,Paris,1\n2,,Lyon,0\n3,27,,1\n4,45.5,Nice,0\n';
  let path: string;
  beforeAll(() => {
    path = file('people.csv', text);
  });

  const cases: [string, fe.data.CSVConfig][] = [
    ['defaults', {}],
    ['a label column', { columnConfigs: { label: { isLabel: true } } }],
    ['dtypes and defaults', { columnConfigs: { age: { dtype: 'float32', default: -1 }, id: { dtype: 'int32' }, label: { isLabel: true, dtype: 'int32' } } }],
    ['configuredColumnsOnly', { columnConfigs: { city: {}, label: { isLabel: true } }, configuredColumnsOnly: true }],
    ['columnNames replacing the header', { columnNames: ['k', 'years', 'town', 'y'] }],
  ];
  for (const [name, config] of cases) {
    it(`${name}: the same elements and column names as TensorFlow.js`, async () => {
      const ours = fe.data.csv(path, config);
      const theirs = tf.data.csv(pathToFileURL(path).href, config as never);
      expect(await ours.toArray()).toEqual(await theirs.toArray());
      expect(await ours.columnNames()).toEqual(await theirs.columnNames());
    });
  }

  it('no header with columnNames, another delimiter, whitespace-delimited', async () => {
    const noHeader = fe.data.csv(bytes('1;x\n2;y\n'), { hasHeader: false, columnNames: ['n', 's'], delimiter: ';' });
    const tfNoHeader = tf.data.csv(pathToFileURL(file('nh.csv', '1;x\n2;y\n')).href, { hasHeader: false, columnNames: ['n', 's'], delimiter: ';' });
    expect(await noHeader.toArray()).toEqual(await tfNoHeader.toArray());
    const spaced = fe.data.csv(bytes('a  b\tc\n 1 2   3 \n4\t5 6\n'), { delimWhitespace: true });
    expect(await spaced.toArray()).toEqual([{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 6 }]);
  });

  it('bool and string dtypes; wrong values throw with the line and column (TensorFlow.js keeps going)', async () => {
    const ds = fe.data.csv(bytes('f,s\ntrue,007\nFALSE,x\n1,\n'), { columnConfigs: { f: { dtype: 'bool' }, s: { dtype: 'string' } } });
    expect(await ds.toArray()).toEqual([{ f: 1, s: '007' }, { f: 0, s: 'x' }, { f: 1, s: undefined }]);
    const bad = (csvText: string, config: fe.data.CSVConfig) => fe.data.csv(bytes(csvText), config).toArray();
    await expect(bad('a\n1\nx\n', { columnConfigs: { a: { dtype: 'float32' } } })).rejects.toThrow(/column 'a' \(float32\) has "x" on line 3, which is not a number/);
    await expect(bad('a\n2.5\n', { columnConfigs: { a: { dtype: 'int32' } } })).rejects.toThrow(/column 'a' \(int32\) has 2.5 on line 2, which is not an integer/);
    await expect(bad('a\nyes\n', { columnConfigs: { a: { dtype: 'bool' } } })).rejects.toThrow(/\(bool\) has "yes" on line 2/);
    await expect(bad('a,b\n1,\n', { columnConfigs: { b: { isLabel: true } } })).rejects.toThrow(/required column 'b' is empty on line 2/);
    await expect(bad('a,a\n1,2\n', {})).rejects.toThrow(/duplicate column names: a/);
    await expect(bad('a,b\n1,2\n', { columnConfigs: { c: {} } })).rejects.toThrow(/names the column 'c', which is not among the columns \(a, b\)/);
    await expect(bad('a,b\n1,2\n', { columnNames: ['x'] })).rejects.toThrow(/columnNames has 1 names but the header line has 2 columns/);
    await expect(bad('1,2\n', { hasHeader: false })).rejects.toThrow(/columnNames must be given/);
    await expect(bad('', {})).rejects.toThrow(/no data was found/);
    expect(() => fe.data.csv(bytes('a'), { header: true } as never)).toThrow(/unknown config key 'header'/);
    expect(() => fe.data.csv(bytes('a'), { columnConfigs: { a: { type: 'int32' } } } as never)).toThrow(/unknown key 'type' in columnConfigs\['a'\]/);
    expect(() => fe.data.csv(bytes('a'), { delimiter: '::' })).toThrow(/delimiter must be one character/);
    expect(() => fe.data.csv(bytes('a'), { delimiter: ',', delimWhitespace: true })).toThrow(/delimiter should not be given/);
    await expect(fe.data.csv(join(dir, 'missing.csv')).toArray()).rejects.toThrow(/cannot open '.*missing\.csv'/);
  });

  it('labelled rows batch into { xs, ys } of tensors, as TensorFlow.js', async () => {
    const config: fe.data.CSVConfig = { columnConfigs: { label: { isLabel: true } }, configuredColumnsOnly: false };
    const ds = fe.data.csv(path, config).filter((e) => (e as { xs: { age?: number } }).xs.age !== undefined).map((e) => {
      const { xs, ys } = e as { xs: Record<string, unknown>; ys: Record<string, unknown> };
      return { xs: { id: xs.id, age: xs.age }, ys };
    }).batch(2);
    const batches = (await ds.toArray()) as { xs: Record<string, fe.Tensor>; ys: Record<string, fe.Tensor> }[];
    expect(batches.map((b) => [b.xs.id.arraySync(), b.xs.age.arraySync(), b.ys.label.arraySync()])).toEqual([
      [[1, 3], [34, 27], [1, 1]],
      [[4], [45.5], [0]],
    ]);
    batches.forEach((b) => fe.dispose(b as never));
  });
});

describe('fe.data.csv sources', () => {
  const text = 'x,y\n1,a\n2,b\n3,c\n';
  const expected = [{ x: 1, y: 'a' }, { x: 2, y: 'b' }, { x: 3, y: 'c' }];

  it('a path, a file:// URL string and URL object, a Blob, bytes', async () => {
    const p = file('src.csv', text);
    expect(await fe.data.csv(p).toArray()).toEqual(expected);
    expect(await fe.data.csv(pathToFileURL(p).href).toArray()).toEqual(expected);
    expect(await fe.data.csv(pathToFileURL(p)).toArray()).toEqual(expected);
    expect(await fe.data.csv(new Blob([text])).toArray()).toEqual(expected);
    expect(await fe.data.csv(new fe.data.FileDataSource(new Blob([text]), { chunkSize: 3 })).toArray()).toEqual(expected);
    expect(await fe.data.csv(bytes(text)).toArray()).toEqual(expected);
  });

  it('an http URL: the body is streamed as it arrives; a failed response names its status', async () => {
    const server: Server = createServer(async (req, res) => {
      if (req.url !== '/data.csv') {
        res.writeHead(404, 'Not Found').end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/csv' });
      // In pieces cut mid-record, with pauses: the parser sees several network chunks.
      for (const piece of ['x,y\n1,', 'a\n2,b', '\n3,c\n']) {
        res.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await fe.data.csv(`http://127.0.0.1:${port}/data.csv`).toArray()).toEqual(expected);
      await expect(fe.data.csv(`http://127.0.0.1:${port}/nope.csv`).toArray()).rejects.toThrow(/404 Not Found/);
    } finally {
      server.close();
    }
  });
});

describe('fe.data.csv streams a file larger than its chunks with bounded memory', () => {
  /** Wraps a source and records the size of every chunk it hands out. */
  class CountingSource extends fe.data.DataSource {
    readonly chunks: number[] = [];
    constructor(private readonly inner: fe.data.DataSource) {
      super();
    }
    async iterator(): Promise<fe.data.LazyIterator<Uint8Array>> {
      const it = await this.inner.iterator();
      const chunks = this.chunks;
      return new (class extends fe.data.LazyIterator<Uint8Array> {
        protected async serialNext() {
          const r = await it.next();
          if (!r.done) chunks.push(r.value.length);
          return r;
        }
        protected override async release() {
          await it.return();
        }
      })();
    }
  }

  it('a ~9 MB CSV: every chunk ≤ 64 KiB, every byte read once, live heap growth far below the file size', async () => {
    const gc = (globalThis as { gc?: () => void }).gc!;
    const rows = 120_000;
    const features = 12;
    const path = join(dir, 'big.csv');
    // Written in pieces: the test itself never holds the file as one string either.
    const fd = openSync(path, 'w');
    writeSync(fd, ['label', ...Array.from({ length: features }, (_, j) => `f${j}`)].join(',') + '\n');
    let labelSum = 0, f3Sum = 0, piece: string[] = [];
    for (let i = 0; i < rows; i++) {
      const label = (i * 7) % 10;
      const f = Array.from({ length: features }, (_, j) => ((i * 31 + j * 17) % 1000) / 8);
      labelSum += label;
      f3Sum += f[3];
      piece.push(`${label},${f.join(',')}`);
      if (piece.length === 5000) {
        writeSync(fd, piece.join('\n') + '\n');
        piece = [];
      }
    }
    closeSync(fd);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(8e6);

    const chunkSize = 1 << 16;
    const source = new CountingSource(new fe.data.FileDataSource(path, { chunkSize }));
    const table = fe.data.csv(source, { columnConfigs: { label: { isLabel: true } } });
    const ds = table
      .map((e) => {
        const { xs, ys } = e as { xs: Record<string, number>; ys: Record<string, number> };
        return { xs: Object.values(xs), ys: ys.label };
      })
      .batch(500);
    expect((await table.columnNames()).length).toBe(features + 1); // reads the header (one chunk)
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0, seenRows = 0, gotLabels = 0, gotF3 = 0, batches = 0;
    await ds.forEachAsync((b) => {
      const { xs, ys } = b as { xs: fe.Tensor; ys: fe.Tensor };
      expect(xs.shape).toEqual([xs.shape[0], features]);
      seenRows += ys.shape[0];
      gotLabels += Array.from(ys.dataSync()).reduce((a, v) => a + v, 0);
      const x = xs.dataSync();
      for (let i = 3; i < x.length; i += features) gotF3 += x[i];
      if (++batches % 20 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    });
    expect(seenRows).toBe(rows);
    expect(gotLabels).toBe(labelSum);
    expect(gotF3).toBeCloseTo(f3Sum, 0);
    // The header read took one chunk; the data pass read the whole file, chunk by chunk.
    const dataChunks = source.chunks.slice(1);
    expect(Math.max(...source.chunks)).toBeLessThanOrEqual(chunkSize);
    expect(dataChunks.reduce((a, b) => a + b, 0)).toBe(size);
    expect(dataChunks.length).toBe(Math.ceil(size / chunkSize));
    // Live memory while streaming stays a small fraction of the file.
    expect(peak).toBeLessThan(size / 8);
  });
});
