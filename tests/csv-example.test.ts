/**
 * examples/csv-mnist on a slice: the script itself runs (as `npm run example:csv` does) on the
 * first 2,000 training rows and 400 test rows of its MNIST CSV files for 3 epochs, and must end
 * with `test accuracy: <number>` at or above 0.85 (the full example trains on 7,200 rows and
 * needs 0.96).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { wasmBuilt } from './helpers/backends';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('csv-mnist example (CSV file → fe.data.csv → fitDataset)', () => {
  it('trains from the CSV file on a slice and reports its test accuracy', async () => {
    const args = ['--import', 'tsx', 'examples/csv-mnist/train.ts',
      '--train-rows', '2000', '--test-rows', '400', '--epochs', '3', '--threshold', '0.85',
      '--backend', wasmBuilt ? 'wasm' : 'js'];
    const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 24 });
    const lines = stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^test accuracy: \d\.\d{4}$/);
    const accuracy = Number(lines[lines.length - 1].split(': ')[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
    expect(stdout).toMatch(/\(2000 rows used\)/);
    expect(stdout).toMatch(/Epoch 3\/3|3 epochs in/);
  });
});
