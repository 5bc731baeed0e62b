/**
 * A functional model with two text inputs: an email's subject and its body, read by one
 * shared embedding (the same words mean the same in both), pooled, joined with
 * `concatenate`, then a residual block (Dense + an `add` skip connection) and a sigmoid.
 *
 *   subject [20] ─┐                          ┌─────────────── add ── Dense(1, sigmoid)
 *                 ├ Embedding(2000, 32) ─ pool ─ concatenate ─┤        │
 *   body   [150] ─┘   (shared)                └─ Dense(64, relu) ─┘
 */
import * as fe from 'ferrite-ml';
import type { EmailParts } from '../text-classifier/spam-data';

export const VOCAB = 2000;
export const SUBJECT_LEN = 20;
export const BODY_LEN = 150;

export function buildModel(): fe.LayersModel {
  const subject = fe.input({ shape: [SUBJECT_LEN], dtype: 'int32', name: 'subject' });
  const body = fe.input({ shape: [BODY_LEN], dtype: 'int32', name: 'body' });
  const words = fe.layers.embedding({ inputDim: VOCAB, outputDim: 32, maskZero: true, name: 'words' });
  const s = fe.layers.globalAveragePooling1d({ name: 'subject_mean' }).apply(words.apply(subject));
  const b = fe.layers.globalAveragePooling1d({ name: 'body_mean' }).apply(words.apply(body));
  const joined = fe.layers.concatenate({ name: 'joined' }).apply([s, b] as fe.SymbolicTensor[]);
  const hidden = fe.layers.dense({ units: 64, activation: 'relu', name: 'hidden' }).apply(joined);
  const residual = fe.layers.add({ name: 'residual' }).apply([joined, hidden] as fe.SymbolicTensor[]);
  const spam = fe.layers.dense({ units: 1, activation: 'sigmoid', name: 'spam' }).apply(residual) as fe.SymbolicTensor;
  return fe.model({ inputs: [subject, body], outputs: spam, name: 'subject_and_body' });
}

/** One tokenizer for both inputs, fitted on the training emails' subjects and bodies. */
export function fitTokenizer(train: EmailParts[]): fe.text.Tokenizer {
  const tokenizer = new fe.text.Tokenizer({ numWords: VOCAB, oovToken: '<OOV>' });
  tokenizer.fitOnTexts(train.flatMap((e) => [e.subject, e.body]));
  return tokenizer;
}

/** The model's inputs (a map by input name) and labels for some emails. */
export function tensorsFor(tokenizer: fe.text.Tokenizer, emails: EmailParts[]): { x: Record<string, fe.Tensor>; y: fe.Tensor } {
  const pad = (texts: string[], maxlen: number) =>
    fe.tensor2d(fe.sequence.padSequences(tokenizer.textsToSequences(texts), { maxlen }), undefined, 'int32');
  return {
    x: { subject: pad(emails.map((e) => e.subject), SUBJECT_LEN), body: pad(emails.map((e) => e.body), BODY_LEN) },
    y: fe.tensor2d(emails.map((e) => [e.label])),
  };
}
