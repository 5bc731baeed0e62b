/**
 * Byte sources read in chunks, never whole: a local file (Node: fixed-size reads through a
 * file handle), a Blob or File (browser or Node: one slice at a time), a byte array, or a URL
 * (the response body's ReadableStream, chunk by chunk as it arrives). As TensorFlow.js'
 * FileDataSource / URLDataSource, but TensorFlow.js reads files and responses whole.
 */
import { describeValue } from './element';
import { END, LazyIterator } from './lazy-iterator';

export interface FileChunkOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Byte offset to start from (default 0). */
  offset?: number;
}

/** Something that opens a fresh stream of byte chunks at each call. */
export abstract class DataSource {
  abstract iterator(): Promise<LazyIterator<Uint8Array>>;
}

const DEFAULT_CHUNK = 1 << 20;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

/** In Node, a string is a URL only with a scheme we fetch; anything else is a path. */
function isRemoteUrl(s: string): boolean {
  return /^(https?|data|blob):/i.test(s);
}

function chunkOptions(where: string, options: FileChunkOptions): { chunkSize: number; offset: number } {
  for (const k of Object.keys(options)) {
    if (k !== 'chunkSize' && k !== 'offset') throw new TypeError(`${where}: unknown option '${k}' (chunkSize, offset)`);
  }
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`${where}: chunkSize must be a positive integer, got ${describeValue(chunkSize)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`${where}: offset must be an integer ≥ 0, got ${describeValue(offset)}`);
  return { chunkSize, offset };
}

/** Chunks of a byte array (views, no copy). */
class BytesChunks extends LazyIterator<Uint8Array> {
  constructor(private readonly bytes: Uint8Array, private at: number, private readonly chunkSize: number) {
    super();
  }
  protected async serialNext(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.at >= this.bytes.length) return END;
    const chunk = this.bytes.subarray(this.at, this.at + this.chunkSize);
    this.at += chunk.length;
    return { value: chunk, done: false };
  }
}

/** Chunks of a Blob / File, one slice read at a time. */
class BlobChunks extends LazyIterator<Uint8Array> {
  constructor(private readonly blob: Blob, private at: number, private readonly chunkSize: number) {
    super();
  }
  protected async serialNext(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.at >= this.blob.size) return END;
    const end = Math.min(this.blob.size, this.at + this.chunkSize);
    const bytes = new Uint8Array(await this.blob.slice(this.at, end).arrayBuffer());
    this.at = end;
    return { value: bytes, done: false };
  }
}

interface FileHandleLike {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Chunks of a local file (Node): one fixed-size read per chunk through a file handle. */
class NodeFileChunks extends LazyIterator<Uint8Array> {
  private handle: FileHandleLike | null = null;
  private closed = false;
  constructor(private readonly path: string, private at: number, private readonly chunkSize: number) {
    super();
  }

  protected async serialNext(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.closed) return END;
    if (!this.handle) {
      const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
      try {
        this.handle = (await fs.open(this.path, 'r')) as unknown as FileHandleLike;
      } catch (e) {
        throw new Error(`data: cannot open '${this.path}': ${(e as Error).message}`);
      }
    }
    const buf = new Uint8Array(this.chunkSize);
    const { bytesRead } = await this.handle.read(buf, 0, this.chunkSize, this.at);
    if (bytesRead === 0) {
      await this.release();
      return END;
    }
    this.at += bytesRead;
    return { value: bytesRead === this.chunkSize ? buf : buf.subarray(0, bytesRead), done: false };
  }

  protected override async release(): Promise<void> {
    this.closed = true;
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}

/** Chunks of a response body as the network delivers them (split to at most chunkSize bytes). */
class ResponseChunks extends LazyIterator<Uint8Array> {
  private skip: number;
  private rest: Uint8Array | null = null;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, offset: number, private readonly chunkSize: number) {
    super();
    this.skip = offset;
  }
  protected async serialNext(): Promise<IteratorResult<Uint8Array, undefined>> {
    while (!this.rest) {
      const { value, done } = await this.reader.read();
      if (done || !value) return END;
      if (this.skip >= value.length) {
        this.skip -= value.length;
        continue;
      }
      this.rest = this.skip ? value.subarray(this.skip) : value;
      this.skip = 0;
    }
    const chunk = this.rest.subarray(0, this.chunkSize);
    this.rest = chunk.length < this.rest.length ? this.rest.subarray(chunk.length) : null;
    return { value: chunk, done: false };
  }
  protected override async release(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/**
 * A local file or in-memory bytes: a path or `file://` URL (Node), a Blob or File, or a
 * Uint8Array.
 */
export class FileDataSource extends DataSource {
  private readonly chunkSize: number;
  private readonly offset: number;

  constructor(readonly input: string | URL | Blob | Uint8Array, options: FileChunkOptions = {}) {
    super();
    ({ chunkSize: this.chunkSize, offset: this.offset } = chunkOptions('FileDataSource', options));
    const ok = typeof input === 'string' || input instanceof URL || input instanceof Uint8Array
      || (typeof Blob !== 'undefined' && input instanceof Blob);
    if (!ok) throw new TypeError(`FileDataSource: expected a path, a file:// URL, a Blob/File or a Uint8Array, got ${describeValue(input)}`);
  }

  async iterator(): Promise<LazyIterator<Uint8Array>> {
    const input = this.input;
    if (input instanceof Uint8Array) return new BytesChunks(input, this.offset, this.chunkSize);
    if (typeof Blob !== 'undefined' && input instanceof Blob) return new BlobChunks(input, this.offset, this.chunkSize);
    if (!isNode()) {
      throw new Error(`FileDataSource: reading the local file '${String(input)}' needs Node.js; in a browser pass a File/Blob or an http(s) URL`);
    }
    return new NodeFileChunks(await localPath(input as string | URL), this.offset, this.chunkSize);
  }
}

async function localPath(input: string | URL): Promise<string> {
  const s = String(input);
  if (!/^file:/i.test(s)) return s;
  const { fileURLToPath } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:url');
  return fileURLToPath(s);
}

/**
 * A URL: http(s), data: and blob: URLs are fetched and their body streamed; in Node, a
 * `file://` URL or a plain path reads the local file. A Request carries its own options.
 */
export class URLDataSource extends DataSource {
  private readonly options: FileChunkOptions;

  constructor(readonly url: string | URL | Request, options: FileChunkOptions = {}) {
    super();
    chunkOptions('URLDataSource', options);
    this.options = options;
    const ok = typeof url === 'string' || url instanceof URL || (typeof Request !== 'undefined' && url instanceof Request);
    if (!ok) throw new TypeError(`URLDataSource: expected a URL string, a URL or a Request, got ${describeValue(url)}`);
  }

  async iterator(): Promise<LazyIterator<Uint8Array>> {
    const href = typeof this.url === 'string' ? this.url : this.url instanceof URL ? this.url.href : this.url.url;
    const local = /^file:/i.test(href) || (isNode() && typeof this.url === 'string' && !isRemoteUrl(href));
    if (local) return new FileDataSource(href, this.options).iterator();
    const response = await fetch(this.url);
    if (!response.ok) throw new Error(`data: fetching ${href} failed: ${response.status} ${response.statusText}`);
    const { offset, chunkSize } = chunkOptions('URLDataSource', this.options);
    if (!response.body) {
      throw new Error(`data: the response for ${href} has no body stream to read in chunks`);
    }
    return new ResponseChunks(response.body.getReader(), offset, chunkSize);
  }
}
