/**
 * Text tokenization with the semantics of Keras 2's `keras.preprocessing.text`
 * (`text_to_word_sequence` and `Tokenizer`), with camelCase names.
 *
 * Index 0 is reserved (padding) and never given to a word. When `oovToken` is set it
 * takes index 1 and every word index shifts up by one.
 */

import { parseOrderedEntries, pyJsonDumps, pyJsonEntries } from './json';

/** Keras' default filters: all ASCII punctuation except `'`, plus tab and newline. */
export const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

export interface TextToWordSequenceOptions {
  /** Characters replaced by `split` before splitting. Default {@link DEFAULT_FILTERS}. */
  filters?: string;
  /** Lowercase the text first. Default true. */
  lower?: boolean;
  /** Separator (any non-empty string). Default ' '. */
  split?: string;
}

const filterRegexCache = new Map<string, RegExp>();

/** A global regex matching any one character (code point) of `filters`. */
function filterRegex(filters: string): RegExp {
  let re = filterRegexCache.get(filters);
  if (!re) {
    // \u{...} escapes make every character literal inside the class, whatever it is.
    const cls = Array.from(new Set(filters), (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
    re = new RegExp(`[${cls}]`, 'gu');
    if (filterRegexCache.size > 64) filterRegexCache.clear();
    filterRegexCache.set(filters, re);
  }
  return re;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v == null || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : typeof v;
}

/**
 * Splits a text into words as Keras' `text_to_word_sequence` does: optionally lowercase,
 * replace every filter character by `split`, split on `split`, drop empty strings.
 * Only `split` separates words (not other whitespace); tab and newline separate words
 * only because they are in the default filters.
 */
export function textToWordSequence(text: string, options: TextToWordSequenceOptions = {}): string[] {
  const { filters = DEFAULT_FILTERS, lower = true, split = ' ' } = options;
  if (typeof text !== 'string') {
    throw new TypeError(`textToWordSequence: text must be a string, got ${describe(text)}`);
  }
  checkSplit('textToWordSequence', split);
  if (typeof filters !== 'string') {
    throw new TypeError(`textToWordSequence: filters must be a string, got ${describe(filters)}`);
  }
  let s = lower ? text.toLowerCase() : text;
  if (filters.length > 0) s = s.replace(filterRegex(filters), () => split);
  return s.split(split).filter((w) => w.length > 0);
}

function checkSplit(where: string, split: unknown): asserts split is string {
  if (typeof split !== 'string' || split.length === 0) {
    // Python's str.split rejects an empty separator as well.
    throw new Error(`${where}: split must be a non-empty string, got ${describe(split)}`);
  }
}

export type MatrixMode = 'binary' | 'count' | 'tfidf' | 'freq';
const MATRIX_MODES: readonly string[] = ['binary', 'count', 'tfidf', 'freq'];

/** A document: a string, or an already tokenized list of tokens (used as-is, lowercased if `lower`). */
export type TextInput = string | readonly string[];

export interface TokenizerOptions {
  /**
   * Keep only indices below `numWords` in sequences and matrices (so the `numWords - 1`
   * most frequent words, or `numWords - 2` plus the OOV token). `wordIndex` always holds
   * every word. 0, null or undefined mean no limit.
   */
  numWords?: number | null;
  /** Characters removed (replaced by `split`). Ignored when `charLevel`. Default {@link DEFAULT_FILTERS}. */
  filters?: string;
  /** Lowercase texts. Default true. Applies with `charLevel` too. */
  lower?: boolean;
  /** Word separator. Default ' '. */
  split?: string;
  /** Every character (code point) is a token; `filters` and `split` are not applied. Default false. */
  charLevel?: boolean;
  /** Token given index 1 and used for out-of-vocabulary words. Default none (such words are dropped). */
  oovToken?: string | null;
  /** Custom word splitter replacing `textToWordSequence` (not used when `charLevel`). Not serialized. */
  analyzer?: ((text: string) => string[]) | null;
  /** Starting document count (restored by `fromJSON`). Default 0. */
  documentCount?: number;
}

const OPTION_KEYS = new Set([
  'numWords', 'filters', 'lower', 'split', 'charLevel', 'oovToken', 'analyzer', 'documentCount',
]);

/** The `config` object of Keras' tokenizer JSON. The dictionaries are JSON strings, as in Keras. */
export interface TokenizerConfig {
  num_words: number | null;
  filters: string;
  lower: boolean;
  split: string;
  char_level: boolean;
  oov_token: string | null;
  document_count: number;
  word_counts: string;
  word_docs: string;
  index_docs: string;
  index_word: string;
  word_index: string;
}

/** The layout of Keras' `Tokenizer.to_json()`. */
export interface TokenizerJSON {
  class_name: 'Tokenizer';
  config: TokenizerConfig;
}

function emptyRecord<V>(): Record<string, V> {
  // No prototype, so words like "constructor" or "__proto__" are ordinary keys.
  return Object.create(null) as Record<string, V>;
}

function lookup<V>(obj: Record<string | number, V>, key: string | number): V | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/**
 * Keras' `Tokenizer`: builds a vocabulary ranked by frequency and turns texts into
 * index sequences or bag-of-words matrices.
 *
 * ```ts
 * const tok = new Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
 * tok.fitOnTexts(['The cat sat on the mat.', 'The dog ate my homework!']);
 * tok.wordIndex['the'];                      // 2 (the OOV token has 1)
 * tok.textsToSequences(['the cat ate a hat']); // [[2, 3, 8, 1, 1]]
 * ```
 *
 * Containers:
 * - `wordIndex` (word → index) and `indexWord` (index → word) are plain prototype-less
 *   objects for dict-style access (`wordIndex['cat']`). `indexWord` iterates in index
 *   order. `wordIndex` is filled in index order, but JS lists integer-like keys
 *   (words such as "2019") first whatever the insertion order, so iterate `indexWord`
 *   when order matters.
 * - `wordCounts`, `wordDocs` (word → number of documents containing it) and `indexDocs`
 *   (index → document count) are `Map`s: Keras keeps `word_counts` insertion-ordered
 *   and that order breaks ties in the ranking, which only a Map preserves for every key.
 */
export class Tokenizer {
  numWords: number | null;
  filters: string;
  lower: boolean;
  split: string;
  charLevel: boolean;
  oovToken: string | null;
  analyzer: ((text: string) => string[]) | null;
  documentCount: number;

  /** Occurrences of each token, in first-seen order. */
  wordCounts = new Map<string, number>();
  /** Number of documents each token occurs in. */
  wordDocs = new Map<string, number>();
  /** Number of documents each index occurs in (used by 'tfidf'). */
  indexDocs = new Map<number, number>();
  /** Token → index (1-based), for every token seen regardless of `numWords`. */
  wordIndex: Record<string, number> = emptyRecord<number>();
  /** Index → token. */
  indexWord: Record<number, string> = emptyRecord<string>();

  constructor(options: TokenizerOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Tokenizer: options must be an object, got ${describe(options)}`);
    }
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
    if (unknown.length > 0) {
      throw new TypeError(`Tokenizer: unrecognized option(s) ${unknown.map((k) => `'${k}'`).join(', ')}`);
    }
    const {
      numWords = null, filters = DEFAULT_FILTERS, lower = true, split = ' ',
      charLevel = false, oovToken = null, analyzer = null, documentCount = 0,
    } = options;
    if (numWords !== null && !(Number.isInteger(numWords) && numWords >= 0)) {
      throw new Error(`Tokenizer: numWords must be a non-negative integer or null, got ${describe(numWords)}`);
    }
    if (typeof filters !== 'string') throw new TypeError(`Tokenizer: filters must be a string, got ${describe(filters)}`);
    checkSplit('Tokenizer', split);
    if (oovToken !== null && typeof oovToken !== 'string') {
      throw new TypeError(`Tokenizer: oovToken must be a string or null, got ${describe(oovToken)}`);
    }
    if (analyzer !== null && typeof analyzer !== 'function') {
      throw new TypeError(`Tokenizer: analyzer must be a function or null, got ${describe(analyzer)}`);
    }
    if (!(Number.isInteger(documentCount) && documentCount >= 0)) {
      throw new Error(`Tokenizer: documentCount must be a non-negative integer, got ${describe(documentCount)}`);
    }
    this.numWords = numWords;
    this.filters = filters;
    this.lower = Boolean(lower);
    this.split = split;
    this.charLevel = Boolean(charLevel);
    this.oovToken = oovToken;
    this.analyzer = analyzer;
    this.documentCount = documentCount;
  }

  /** The tokens of one document, exactly as Keras derives them. */
  private tokensOf(text: TextInput, where: string): string[] {
    if (Array.isArray(text)) {
      // A pre-tokenized document: each entry is one token.
      return text.map((t, i) => {
        if (typeof t !== 'string') {
          throw new TypeError(`Tokenizer.${where}: token ${i} of a tokenized text must be a string, got ${describe(t)}`);
        }
        return this.lower ? t.toLowerCase() : t;
      });
    }
    if (typeof text !== 'string') {
      throw new TypeError(`Tokenizer.${where}: each text must be a string or an array of strings, got ${describe(text)}`);
    }
    if (this.charLevel) {
      // Keras only lowercases here: no filters, no splitting, spaces are tokens too.
      return Array.from(this.lower ? text.toLowerCase() : text);
    }
    if (this.analyzer) return this.analyzer(text);
    return textToWordSequence(text, { filters: this.filters, lower: this.lower, split: this.split });
  }

  private static checkTexts(texts: unknown, where: string): asserts texts is Iterable<TextInput> {
    // A bare string is iterable too, and would silently become one document per character.
    if (typeof texts === 'string') {
      throw new TypeError(`Tokenizer.${where}: texts must be an array of texts, got a single string (wrap it: [text])`);
    }
    if (texts == null || typeof (texts as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`Tokenizer.${where}: texts must be an iterable of texts, got ${describe(texts)}`);
    }
  }

  /**
   * Updates counts with `texts` and rebuilds `wordIndex`/`indexWord`: tokens ranked by
   * count, descending, ties in first-seen order (Keras sorts the insertion-ordered counts
   * with a stable sort). Calling it again accumulates.
   */
  fitOnTexts(texts: Iterable<TextInput>): void {
    Tokenizer.checkTexts(texts, 'fitOnTexts');
    for (const text of texts) {
      const seq = this.tokensOf(text, 'fitOnTexts');
      this.documentCount += 1;
      for (const w of seq) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
      for (const w of new Set(seq)) this.wordDocs.set(w, (this.wordDocs.get(w) ?? 0) + 1);
    }

    const ranked = [...this.wordCounts.entries()].sort((a, b) => b[1] - a[1]); // stable
    const vocab: string[] = this.oovToken === null ? [] : [this.oovToken];
    for (const [w] of ranked) vocab.push(w);

    // Built by assignment like Python's dict(zip(...)): if the OOV token also occurs as a
    // word, its later index overwrites 1, exactly as in Keras.
    const wordIndex = emptyRecord<number>();
    vocab.forEach((w, i) => { wordIndex[w] = i + 1; });
    const indexWord = emptyRecord<string>() as Record<number, string>;
    for (const w of Object.keys(wordIndex)) indexWord[wordIndex[w]] = w;
    this.wordIndex = wordIndex;
    this.indexWord = indexWord;

    for (const [w, c] of this.wordDocs) {
      const i = lookup(wordIndex, w);
      if (i !== undefined) this.indexDocs.set(i, c);
    }
  }

  /**
   * Updates `documentCount` and `indexDocs` from index sequences (needed for 'tfidf' in
   * `sequencesToMatrix` when the tokenizer was never fit on texts).
   */
  fitOnSequences(sequences: Iterable<ArrayLike<number>>): void {
    const seqs = [...sequences];
    this.documentCount += seqs.length;
    for (const seq of seqs) {
      for (const i of new Set(Array.from(seq))) this.indexDocs.set(i, (this.indexDocs.get(i) ?? 0) + 1);
    }
  }

  private oovIndex(): number | undefined {
    return this.oovToken === null ? undefined : lookup(this.wordIndex, this.oovToken);
  }

  /** Like {@link textsToSequences}, one sequence at a time. */
  *textsToSequencesGenerator(texts: Iterable<TextInput>): Generator<number[]> {
    Tokenizer.checkTexts(texts, 'textsToSequences');
    const numWords = this.numWords;
    const wordIndex = this.wordIndex;
    const oov = this.oovIndex();
    const oovOr = (): number => {
      if (oov === undefined) {
        throw new Error(
          `Tokenizer.textsToSequences: oovToken ${describe(this.oovToken)} has no index; call fitOnTexts first`,
        );
      }
      return oov;
    };
    for (const text of texts) {
      const vect: number[] = [];
      for (const w of this.tokensOf(text, 'textsToSequences')) {
        const i = lookup(wordIndex, w);
        if (i !== undefined) {
          if (numWords && i >= numWords) {
            if (this.oovToken !== null) vect.push(oovOr());
          } else {
            vect.push(i);
          }
        } else if (this.oovToken !== null) {
          vect.push(oovOr());
        }
      }
      yield vect;
    }
  }

  /**
   * Each text as a list of indices. Tokens not in `wordIndex`, or whose index is
   * `>= numWords`, become the OOV index if `oovToken` is set and are dropped otherwise.
   */
  textsToSequences(texts: Iterable<TextInput>): number[][] {
    return [...this.textsToSequencesGenerator(texts)];
  }

  /** Like {@link sequencesToTexts}, one text at a time. */
  *sequencesToTextsGenerator(sequences: Iterable<ArrayLike<number>>): Generator<string> {
    const numWords = this.numWords;
    const oov = this.oovIndex();
    const oovWord = (): string => {
      const w = oov === undefined ? undefined : lookup(this.indexWord, oov);
      if (w === undefined) {
        throw new Error(
          `Tokenizer.sequencesToTexts: oovToken ${describe(this.oovToken)} has no index; call fitOnTexts first`,
        );
      }
      return w;
    };
    for (const seq of sequences) {
      const words: string[] = [];
      for (const num of Array.from(seq)) {
        const word = lookup(this.indexWord, num);
        if (word !== undefined) {
          if (numWords && num >= numWords) {
            if (this.oovToken !== null) words.push(oovWord());
          } else {
            words.push(word);
          }
        } else if (this.oovToken !== null) {
          words.push(oovWord());
        }
      }
      // Joined with a space even at character level, as in Keras.
      yield words.join(' ');
    }
  }

  /**
   * Each index sequence back to a space-joined string. Indices without a word (such as
   * 0) or `>= numWords` become the OOV token if set, else are dropped.
   */
  sequencesToTexts(sequences: Iterable<ArrayLike<number>>): string[] {
    return [...this.sequencesToTextsGenerator(sequences)];
  }

  /** `sequencesToMatrix(textsToSequences(texts), mode)`. */
  textsToMatrix(texts: Iterable<TextInput>, mode: MatrixMode = 'binary'): number[][] {
    Tokenizer.checkMode(mode, 'textsToMatrix');
    return this.sequencesToMatrix(this.textsToSequences(texts), mode);
  }

  private static checkMode(mode: unknown, where: string): void {
    if (!MATRIX_MODES.includes(mode as string)) {
      throw new Error(
        `Tokenizer.${where}: unknown mode ${describe(mode)}; expected 'binary', 'count', 'tfidf' or 'freq'`,
      );
    }
  }

  /**
   * One row per sequence, `numWords` columns (or `wordIndex` size + 1 when `numWords`
   * is unset); column j describes index j, and indices `>= numWords` are ignored.
   * - 'binary': 1 if present; 'count': occurrences;
   * - 'freq': occurrences / sequence length (the length counts ignored indices too);
   * - 'tfidf': (1 + ln count) * ln(1 + documentCount / (1 + indexDocs[j])).
   *
   * Returned as `number[][]` (n rows of width numWords), like the other preprocessing
   * helpers; pass it to `tensor2d`. Mind the size: n * numWords numbers.
   */
  sequencesToMatrix(sequences: Iterable<ArrayLike<number>>, mode: MatrixMode = 'binary'): number[][] {
    Tokenizer.checkMode(mode, 'sequencesToMatrix');
    let numWords: number;
    if (!this.numWords) {
      const size = Object.keys(this.wordIndex).length;
      if (size === 0) {
        throw new Error('Tokenizer.sequencesToMatrix: specify a dimension (numWords option), or fit on some text data first');
      }
      numWords = size + 1;
    } else {
      numWords = this.numWords;
    }
    if (mode === 'tfidf' && !this.documentCount) {
      throw new Error('Tokenizer.sequencesToMatrix: fit the Tokenizer on some data before using tfidf mode');
    }

    const rows: number[][] = [];
    for (const seqLike of sequences) {
      const seq = Array.from(seqLike);
      const row = new Array<number>(numWords).fill(0);
      rows.push(row);
      if (seq.length === 0) continue;
      const counts = new Map<number, number>();
      for (const j of seq) {
        if (!Number.isInteger(j) || j < 0) {
          throw new Error(`Tokenizer.sequencesToMatrix: indices must be non-negative integers, got ${describe(j)}`);
        }
        if (j >= numWords) continue;
        counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      for (const [j, c] of counts) {
        switch (mode) {
          case 'count': row[j] = c; break;
          case 'freq': row[j] = c / seq.length; break;
          case 'binary': row[j] = 1; break;
          case 'tfidf': {
            const tf = 1 + Math.log(c);
            const idf = Math.log(1 + this.documentCount / (1 + (this.indexDocs.get(j) ?? 0)));
            row[j] = tf * idf;
            break;
          }
        }
      }
    }
    return rows;
  }

  /** Keras' `get_config()`: options plus the dictionaries as JSON strings. */
  getConfig(): TokenizerConfig {
    // word_index is written in index order (what Keras' dict holds), which a plain
    // Object.entries would not give for integer-like words.
    const wordIndexEntries = Object.keys(this.wordIndex)
      .map((w) => [w, this.wordIndex[w]] as const)
      .sort((a, b) => a[1] - b[1]);
    return {
      num_words: this.numWords,
      filters: this.filters,
      lower: this.lower,
      split: this.split,
      char_level: this.charLevel,
      oov_token: this.oovToken,
      document_count: this.documentCount,
      word_counts: pyJsonEntries(this.wordCounts),
      word_docs: pyJsonEntries(this.wordDocs),
      index_docs: pyJsonEntries(this.indexDocs),
      index_word: pyJsonEntries(Object.keys(this.indexWord).map((k) => [k, this.indexWord[Number(k)]] as const)),
      word_index: pyJsonEntries(wordIndexEntries),
    };
  }

  /**
   * Keras' `to_json()`: `{"class_name": "Tokenizer", "config": {...}}` as a string, in
   * Python's json.dumps format, readable by Keras' `tokenizer_from_json`. (Like TF.js'
   * `model.toJSON()`, it returns a string, so `JSON.stringify(tokenizer)` gives a
   * quoted string; `fromJSON` accepts that as well.) `analyzer` is not saved.
   */
  toJSON(): string {
    return pyJsonDumps({ class_name: 'Tokenizer', config: this.getConfig() });
  }

  /**
   * Keras' `tokenizer_from_json`: rebuilds a tokenizer from `toJSON()` output, from
   * Keras' `to_json()` output, or from the parsed object.
   */
  static fromJSON(json: string | TokenizerJSON): Tokenizer {
    let obj: unknown = json;
    // Twice at most: JSON.stringify(tokenizer) wraps toJSON()'s string once more.
    for (let k = 0; k < 2 && typeof obj === 'string'; k++) obj = JSON.parse(obj);
    const config = (obj as { config?: unknown } | null)?.config;
    if (config === null || typeof config !== 'object') {
      throw new Error('Tokenizer.fromJSON: expected {"class_name": "Tokenizer", "config": {...}}');
    }
    const c = config as Record<string, unknown>;
    const entries = (field: string): Array<[string, unknown]> => {
      const v = c[field];
      if (v === undefined || v === null) return [];
      if (typeof v === 'string') return parseOrderedEntries(v, field);
      if (typeof v === 'object' && !Array.isArray(v)) return Object.entries(v as object);
      throw new Error(`Tokenizer.fromJSON: ${field} must be a JSON object string, got ${describe(v)}`);
    };
    const num = (field: string, v: unknown): number => {
      if (typeof v !== 'number') throw new Error(`Tokenizer.fromJSON: ${field} values must be numbers, got ${describe(v)}`);
      return v;
    };
    const int = (field: string, k: string): number => {
      const n = Number(k);
      if (!Number.isInteger(n)) throw new Error(`Tokenizer.fromJSON: ${field} keys must be integers, got ${describe(k)}`);
      return n;
    };

    const tok = new Tokenizer({
      numWords: (c.num_words as number | null | undefined) ?? null,
      filters: (c.filters as string | undefined) ?? DEFAULT_FILTERS,
      lower: (c.lower as boolean | undefined) ?? true,
      split: (c.split as string | undefined) ?? ' ',
      charLevel: (c.char_level as boolean | undefined) ?? false,
      oovToken: (c.oov_token as string | null | undefined) ?? null,
      documentCount: (c.document_count as number | undefined) ?? 0,
    });
    tok.wordCounts = new Map(entries('word_counts').map(([k, v]) => [k, num('word_counts', v)]));
    tok.wordDocs = new Map(entries('word_docs').map(([k, v]) => [k, num('word_docs', v)]));
    // JSON turned the integer keys into strings; Keras converts them back too.
    tok.indexDocs = new Map(entries('index_docs').map(([k, v]) => [int('index_docs', k), num('index_docs', v)]));
    const indexWord = emptyRecord<string>() as Record<number, string>;
    for (const [k, v] of entries('index_word')) {
      if (typeof v !== 'string') throw new Error(`Tokenizer.fromJSON: index_word values must be strings, got ${describe(v)}`);
      indexWord[int('index_word', k)] = v;
    }
    const wordIndex = emptyRecord<number>();
    for (const [k, v] of entries('word_index')) wordIndex[k] = num('word_index', v);
    tok.indexWord = indexWord;
    tok.wordIndex = wordIndex;
    return tok;
  }
}
