import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILTERS,
  Tokenizer,
  padSequences,
  textToWordSequence,
  toCategorical,
} from '../ts/data/index';

/*
 * Expected values below were worked out by hand from Keras 2's documented behaviour
 * (keras.preprocessing.text / sequence, keras.utils.to_categorical).
 *
 * Worked example, texts = ['The cat sat on the mat.', 'The dog ate my homework!']:
 *   text_to_word_sequence lowercases, turns '.' and '!' into spaces and splits:
 *     ['the', 'cat', 'sat', 'on', 'the', 'mat'], ['the', 'dog', 'ate', 'my', 'homework']
 *   word_counts (insertion order): the:3, cat:1, sat:1, on:1, mat:1, dog:1, ate:1, my:1, homework:1
 *   stable sort by count, descending:
 *     word_index = {the:1, cat:2, sat:3, on:4, mat:5, dog:6, ate:7, my:8, homework:9}
 *   with oov_token='<OOV>' it is put first:
 *     word_index = {'<OOV>':1, the:2, cat:3, sat:4, on:5, mat:6, dog:7, ate:8, my:9, homework:10}
 *   word_docs: the:2, every other word 1; document_count: 2
 *   texts_to_sequences(['the cat ate a hat']) -> [[1, 2, 7]]        (a, hat dropped)
 *                                 with OOV -> [[2, 3, 8, 1, 1]]     (a, hat -> 1)
 */
const TEXTS = ['The cat sat on the mat.', 'The dog ate my homework!'];
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ate', 'my', 'homework'];

function fitted(options: ConstructorParameters<typeof Tokenizer>[0] = {}): Tokenizer {
  const tok = new Tokenizer(options);
  tok.fitOnTexts(TEXTS);
  return tok;
}

describe('textToWordSequence', () => {
  it('lowercases, replaces filter characters by the separator and drops empty strings', () => {
    expect(textToWordSequence('The cat sat on the mat.')).toEqual(['the', 'cat', 'sat', 'on', 'the', 'mat']);
    expect(textToWordSequence('  Hello,,world!!  ')).toEqual(['hello', 'world']);
    // Tab and newline split only because they are in the default filters.
    expect(textToWordSequence('a\tb\nc')).toEqual(['a', 'b', 'c']);
    expect(textToWordSequence('a\tb', { filters: '' })).toEqual(['a\tb']);
  });

  it("keeps the apostrophe (not in the default filters)", () => {
    expect(DEFAULT_FILTERS).toBe('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n');
    expect(DEFAULT_FILTERS.includes("'")).toBe(false);
    expect(textToWordSequence("Don't stop-believing")).toEqual(["don't", 'stop', 'believing']);
  });

  it('honours lower and filters', () => {
    expect(textToWordSequence('Hello World', { lower: false })).toEqual(['Hello', 'World']);
    expect(textToWordSequence('Hello, world!', { filters: '' })).toEqual(['hello,', 'world!']);
    expect(textToWordSequence('a-b_c', { filters: '-' })).toEqual(['a', 'b_c']);
    // Characters that are special in regular expressions are plain characters here.
    expect(textToWordSequence('a]b\\c^d', { filters: ']\\^' })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('splits on a custom separator only', () => {
    // ';' becomes ',', then split on ','; the space is neither filter nor separator.
    expect(textToWordSequence('a,b;c, d', { split: ',', filters: ';' })).toEqual(['a', 'b', 'c', ' d']);
    expect(textToWordSequence('a b,c', { split: ',' })).toEqual(['a b', 'c']);
    // Multi-character separator: each filter character becomes the whole separator.
    expect(textToWordSequence('x|y--z', { split: '--', filters: '|' })).toEqual(['x', 'y', 'z']);
  });

  it('rejects an empty separator', () => {
    expect(() => textToWordSequence('ab', { split: '' })).toThrow(/textToWordSequence.*split/);
  });
});

describe('Tokenizer: fitting', () => {
  it('builds the worked example', () => {
    const tok = fitted();
    expect(tok.wordIndex).toEqual(Object.fromEntries(WORDS.map((w, i) => [w, i + 1])));
    expect(Object.keys(tok.wordIndex)).toEqual(WORDS);
    expect(tok.indexWord).toEqual(Object.fromEntries(WORDS.map((w, i) => [i + 1, w])));
    expect([...tok.wordCounts]).toEqual([
      ['the', 3], ['cat', 1], ['sat', 1], ['on', 1], ['mat', 1],
      ['dog', 1], ['ate', 1], ['my', 1], ['homework', 1],
    ]);
    expect(tok.wordDocs.get('the')).toBe(2);
    expect(tok.wordDocs.get('homework')).toBe(1);
    expect(tok.indexDocs.get(1)).toBe(2);
    expect(tok.indexDocs.get(9)).toBe(1);
    expect(tok.documentCount).toBe(2);
  });

  it('ranks by count, ties in first-seen order (not alphabetical)', () => {
    // counts in insertion order: zebra:2, apple:1, mango:2 -> zebra, mango, apple
    const tok = new Tokenizer();
    tok.fitOnTexts(['zebra apple', 'mango zebra mango']);
    expect(tok.wordIndex).toEqual({ zebra: 1, mango: 2, apple: 3 });
    expect(tok.indexWord).toEqual({ 1: 'zebra', 2: 'mango', 3: 'apple' });
  });

  it('puts the OOV token at index 1 and shifts the rest', () => {
    const tok = fitted({ oovToken: '<OOV>' });
    expect(tok.wordIndex).toEqual(Object.fromEntries(['<OOV>', ...WORDS].map((w, i) => [w, i + 1])));
    expect(tok.indexWord[1]).toBe('<OOV>');
    expect(tok.indexWord[2]).toBe('the');
    // The OOV token is not a counted word.
    expect(tok.wordCounts.has('<OOV>')).toBe(false);
    expect(tok.indexDocs.get(2)).toBe(2);
  });

  it('keeps every word in wordIndex whatever numWords is', () => {
    const tok = fitted({ numWords: 3 });
    expect(Object.keys(tok.wordIndex)).toHaveLength(9);
  });

  it('accumulates over several fits', () => {
    // counts: a:1, b:2 after both fits -> b:1, a:2
    const tok = new Tokenizer();
    tok.fitOnTexts(['a b']);
    expect(tok.wordIndex).toEqual({ a: 1, b: 2 });
    tok.fitOnTexts(['b']);
    expect(tok.wordIndex).toEqual({ b: 1, a: 2 });
    expect(tok.documentCount).toBe(2);
  });

  it('an OOV token that also occurs as a word gets its later index, as with Python dict(zip(...))', () => {
    // vocab = ['oov', 'oov', 'cat'] -> dict assigns oov=1 then overwrites it with 2.
    const tok = new Tokenizer({ oovToken: 'oov' });
    tok.fitOnTexts(['oov cat oov']);
    expect(tok.wordIndex).toEqual({ oov: 2, cat: 3 });
    expect(tok.indexWord).toEqual({ 2: 'oov', 3: 'cat' });
    expect(tok.textsToSequences(['dog cat'])).toEqual([[2, 3]]);
  });

  it('honours lower=false and custom filters', () => {
    const tok = new Tokenizer({ lower: false });
    tok.fitOnTexts(['Hello, World! hello']);
    expect(tok.wordIndex).toEqual({ Hello: 1, World: 2, hello: 3 });

    const keepPunct = new Tokenizer({ filters: '' });
    keepPunct.fitOnTexts(['Hi! hi hi!']);
    // counts: 'hi!':2, 'hi':1
    expect(keepPunct.wordIndex).toEqual({ 'hi!': 1, hi: 2 });
  });

  it('uses a custom split', () => {
    const tok = new Tokenizer({ split: '|', filters: '' });
    tok.fitOnTexts(['new york|paris|new york']);
    expect(tok.wordIndex).toEqual({ 'new york': 1, paris: 2 });
    expect(tok.textsToSequences(['paris|new york|rome'])).toEqual([[2, 1]]);
  });

  it('treats words like "constructor" and "__proto__" as ordinary words', () => {
    const tok = new Tokenizer({ filters: '' });
    tok.fitOnTexts(['constructor __proto__ constructor']);
    expect(tok.wordIndex['constructor']).toBe(1);
    expect(tok.wordIndex['__proto__']).toBe(2);
    expect(tok.textsToSequences(['tostring valueof __proto__'])).toEqual([[2]]);
  });

  it('accepts pre-tokenized texts (lowercased, never filtered or split)', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts([['Hello', 'a.b'], ['hello']]);
    expect(tok.wordIndex).toEqual({ hello: 1, 'a.b': 2 });
    expect(tok.textsToSequences([['A.B', 'HELLO', 'x y']])).toEqual([[2, 1]]);
  });

  it('uses an analyzer instead of textToWordSequence (without lowercasing, as Keras)', () => {
    const tok = new Tokenizer({ analyzer: (t) => t.split('-') });
    tok.fitOnTexts(['A-a-a']);
    expect(tok.wordIndex).toEqual({ a: 1, A: 2 });
  });
});

describe('Tokenizer: charLevel', () => {
  it('lowercases but applies no filters and no splitting', () => {
    // 'aab!' and 'b a' -> counts a:3, b:2, '!':1, ' ':1
    const tok = new Tokenizer({ charLevel: true });
    tok.fitOnTexts(['Aab!', 'b a']);
    expect(tok.wordIndex).toEqual({ a: 1, b: 2, '!': 3, ' ': 4 });
    expect(tok.textsToSequences(['BA!?'])).toEqual([[2, 1, 3]]);
    // Joined with spaces even at character level.
    expect(tok.sequencesToTexts([[1, 2, 4]])).toEqual(['a b  ']);
  });

  it('keeps case with lower=false', () => {
    const tok = new Tokenizer({ charLevel: true, lower: false });
    tok.fitOnTexts(['Aa']);
    expect(tok.wordIndex).toEqual({ A: 1, a: 2 });
  });

  it('iterates code points, not UTF-16 units', () => {
    const tok = new Tokenizer({ charLevel: true });
    tok.fitOnTexts(['a😀😀']);
    expect(tok.wordIndex).toEqual({ '😀': 1, a: 2 });
  });
});

describe('Tokenizer: textsToSequences / sequencesToTexts', () => {
  it('drops unknown words without an OOV token', () => {
    expect(fitted().textsToSequences(['the cat ate a hat', ''])).toEqual([[1, 2, 7], []]);
  });

  it('maps unknown words to 1 with an OOV token', () => {
    expect(fitted({ oovToken: '<OOV>' }).textsToSequences(['the cat ate a hat'])).toEqual([[2, 3, 8, 1, 1]]);
  });

  it('numWords without OOV keeps indices below numWords and drops the rest', () => {
    // numWords=3 keeps the:1 and cat:2.
    const tok = fitted({ numWords: 3 });
    expect(tok.textsToSequences(['The cat sat on the mat.'])).toEqual([[1, 2, 1]]);
    expect(tok.sequencesToTexts([[1, 2, 3, 0, 99]])).toEqual(['the cat']);
  });

  it('numWords with OOV keeps indices 1 and 2 only; the rest become OOV', () => {
    // numWords=3: '<OOV>':1 and the:2 stay; cat:3 and above -> 1.
    const tok = fitted({ numWords: 3, oovToken: '<OOV>' });
    expect(tok.textsToSequences(['The cat sat on the mat.', 'xyz the'])).toEqual([[2, 1, 1, 1, 2, 1], [1, 2]]);
    expect(tok.sequencesToTexts([[2, 3, 1, 0]])).toEqual(['the <OOV> <OOV> <OOV>']);
  });

  it('round-trips without a limit', () => {
    const tok = fitted();
    expect(tok.sequencesToTexts(tok.textsToSequences(TEXTS))).toEqual([
      'the cat sat on the mat',
      'the dog ate my homework',
    ]);
  });

  it('numWords 0 means no limit (Keras tests `if num_words`)', () => {
    expect(fitted({ numWords: 0 }).textsToSequences(['homework'])).toEqual([[9]]);
  });

  it('rejects a bare string (it would be one document per character)', () => {
    const tok = fitted();
    expect(() => tok.textsToSequences('the cat' as unknown as string[])).toThrow(/textsToSequences.*single string/);
    expect(() => new Tokenizer().fitOnTexts('the cat' as unknown as string[])).toThrow(/fitOnTexts/);
    expect(() => tok.fitOnTexts([42 as unknown as string])).toThrow(/fitOnTexts.*42/);
  });
});

describe('Tokenizer: textsToMatrix / sequencesToMatrix', () => {
  const row = (width: number, entries: Record<number, number>) => {
    const r = new Array<number>(width).fill(0);
    for (const [k, v] of Object.entries(entries)) r[Number(k)] = v;
    return r;
  };

  it('binary and count (width = wordIndex size + 1 without numWords)', () => {
    const tok = fitted();
    expect(tok.textsToMatrix(['the the cat xyz'])).toEqual([row(10, { 1: 1, 2: 1 })]);
    expect(tok.textsToMatrix(['the the cat xyz'], 'count')).toEqual([row(10, { 1: 2, 2: 1 })]);
    expect(tok.textsToMatrix([''], 'count')).toEqual([row(10, {})]);
  });

  it('freq divides by the sequence length', () => {
    // sequence [1, 1, 2] (xyz dropped): the 2/3, cat 1/3
    const [r] = fitted().textsToMatrix(['the the cat xyz'], 'freq');
    expect(r).toEqual(row(10, { 1: 2 / 3, 2: 1 / 3 }));
  });

  it('freq counts indices beyond numWords in the length', () => {
    // width 2; [1, 2, 2]: only index 1 counted, length still 3
    expect(fitted({ numWords: 2 }).sequencesToMatrix([[1, 2, 2]], 'freq')).toEqual([[0, 1 / 3]]);
  });

  it('tfidf = (1 + ln c) * ln(1 + docs / (1 + docs containing j))', () => {
    // documentCount 2; 'the' in 2 docs, 'cat' in 1.
    const [r] = fitted().textsToMatrix(['the the cat'], 'tfidf');
    expect(r[0]).toBe(0);
    expect(r[1]).toBeCloseTo((1 + Math.log(2)) * Math.log(1 + 2 / 3), 12);
    expect(r[2]).toBeCloseTo(1 * Math.log(1 + 2 / 2), 12);
    expect(r.slice(3)).toEqual(new Array(7).fill(0));
  });

  it('fitOnSequences feeds tfidf', () => {
    const tok = new Tokenizer({ numWords: 4 });
    tok.fitOnSequences([[1, 2, 2], [2, 3]]);
    expect(tok.documentCount).toBe(2);
    expect([...tok.indexDocs].sort((a, b) => a[0] - b[0])).toEqual([[1, 1], [2, 2], [3, 1]]);
    const [r] = tok.sequencesToMatrix([[2, 5]], 'tfidf');
    expect(r).toEqual([0, 0, Math.log(1 + 2 / 3), 0]);
  });

  it('errors', () => {
    expect(() => new Tokenizer().sequencesToMatrix([[1]])).toThrow(/sequencesToMatrix.*numWords/);
    expect(() => new Tokenizer({ numWords: 5 }).sequencesToMatrix([[1]], 'tfidf')).toThrow(/tfidf/);
    expect(() => fitted().textsToMatrix(['the'], 'tf-idf' as 'tfidf')).toThrow(/textsToMatrix.*"tf-idf"/);
    expect(() => fitted().sequencesToMatrix([[-1]])).toThrow(/sequencesToMatrix.*-1/);
  });
});

describe('Tokenizer: options', () => {
  it('rejects bad options, naming them', () => {
    expect(() => new Tokenizer({ numWords: -1 })).toThrow(/Tokenizer: numWords.*-1/);
    expect(() => new Tokenizer({ numWords: 2.5 })).toThrow(/numWords.*2\.5/);
    expect(() => new Tokenizer({ split: '' })).toThrow(/Tokenizer: split/);
    expect(() => new Tokenizer({ num_words: 10 } as never)).toThrow(/unrecognized option.*'num_words'/);
  });

  it('complains when the OOV token was never fit', () => {
    const tok = new Tokenizer({ oovToken: '<OOV>' });
    expect(() => tok.textsToSequences(['x'])).toThrow(/oovToken.*fitOnTexts/);
  });
});

describe('Tokenizer: JSON', () => {
  // What Keras' to_json() gives for Tokenizer(num_words=3, filters='', oov_token='<OOV>')
  // after fit_on_texts(['b a a']) (word_docs listed in first-seen order).
  const KERAS_JSON = String.raw`{"class_name": "Tokenizer", "config": {"num_words": 3, "filters": "", "lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 1, "word_counts": "{\"b\": 1, \"a\": 2}", "word_docs": "{\"b\": 1, \"a\": 1}", "index_docs": "{\"3\": 1, \"2\": 1}", "index_word": "{\"1\": \"<OOV>\", \"2\": \"a\", \"3\": \"b\"}", "word_index": "{\"<OOV>\": 1, \"a\": 2, \"b\": 3}"}}`;

  it('writes the Keras to_json layout and format', () => {
    const tok = new Tokenizer({ numWords: 3, filters: '', oovToken: '<OOV>' });
    tok.fitOnTexts(['b a a']);
    expect(tok.toJSON()).toBe(KERAS_JSON);
  });

  it('writes the worked example', () => {
    const config = JSON.parse(fitted({ oovToken: '<OOV>' }).toJSON()).config;
    expect(config.filters).toBe(DEFAULT_FILTERS);
    expect(config.num_words).toBe(null);
    expect(config.document_count).toBe(2);
    expect(config.word_counts).toBe(
      '{"the": 3, "cat": 1, "sat": 1, "on": 1, "mat": 1, "dog": 1, "ate": 1, "my": 1, "homework": 1}',
    );
    expect(config.word_index).toBe(
      '{"<OOV>": 1, "the": 2, "cat": 3, "sat": 4, "on": 5, "mat": 6, "dog": 7, "ate": 8, "my": 9, "homework": 10}',
    );
    expect(JSON.parse(config.index_word)).toEqual({ 1: '<OOV>', 2: 'the', 3: 'cat', 4: 'sat', 5: 'on', 6: 'mat', 7: 'dog', 8: 'ate', 9: 'my', 10: 'homework' });
  });

  it('reads Keras JSON', () => {
    const tok = Tokenizer.fromJSON(KERAS_JSON);
    expect(tok.numWords).toBe(3);
    expect(tok.filters).toBe('');
    expect(tok.oovToken).toBe('<OOV>');
    expect(tok.documentCount).toBe(1);
    expect([...tok.wordCounts]).toEqual([['b', 1], ['a', 2]]);
    expect(tok.indexDocs.get(3)).toBe(1);
    expect(tok.indexWord).toEqual({ 1: '<OOV>', 2: 'a', 3: 'b' });
    expect(tok.wordIndex).toEqual({ '<OOV>': 1, a: 2, b: 3 });
    expect(tok.textsToSequences(['a b c'])).toEqual([[2, 1, 1]]);
    expect(tok.toJSON()).toBe(KERAS_JSON);
    expect(Tokenizer.fromJSON(JSON.parse(KERAS_JSON)).toJSON()).toBe(KERAS_JSON);
    expect(Tokenizer.fromJSON(JSON.stringify(tok)).toJSON()).toBe(KERAS_JSON);
  });

  it('escapes non-ASCII like Python json.dumps and round-trips it', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(['café']);
    const json = tok.toJSON();
    expect(json).toContain(String.raw`"word_counts": "{\"caf\\u00e9\": 1}"`);
    expect(Tokenizer.fromJSON(json).wordIndex).toEqual({ 'café': 1 });
  });

  it('keeps word_counts order for integer-like words, so later ties rank the same', () => {
    // counts b:2, '2':2 -> b first; a plain JSON.parse would list '2' first.
    const tok = new Tokenizer();
    tok.fitOnTexts(['b 2 2 b']);
    expect(tok.wordIndex).toEqual({ b: 1, 2: 2 });
    const json = tok.toJSON();
    expect(JSON.parse(json).config.word_counts).toBe('{"b": 2, "2": 2}');
    expect(JSON.parse(json).config.word_index).toBe('{"b": 1, "2": 2}');
    const back = Tokenizer.fromJSON(json);
    back.fitOnTexts(['x']);
    expect(back.indexWord).toEqual({ 1: 'b', 2: '2', 3: 'x' });
  });

  it('rejects malformed JSON', () => {
    expect(() => Tokenizer.fromJSON('{"class_name": "Tokenizer"}')).toThrow(/fromJSON/);
    const bad = KERAS_JSON.replace(String.raw`"{\"b\": 1, \"a\": 2}"`, String.raw`"{\"b\": [1]}"`);
    expect(() => Tokenizer.fromJSON(bad)).toThrow(/fromJSON: word_counts/);
  });
});

describe('padSequences', () => {
  const seqs = [[1, 2, 3], [4, 5], [6]];

  it('pre-pads to the longest sequence by default', () => {
    expect(padSequences(seqs)).toEqual([[1, 2, 3], [0, 4, 5], [0, 0, 6]]);
  });

  it('post-pads', () => {
    expect(padSequences(seqs, { padding: 'post' })).toEqual([[1, 2, 3], [4, 5, 0], [6, 0, 0]]);
  });

  it('truncates from the start (pre) or the end (post) when maxlen is shorter', () => {
    expect(padSequences(seqs, { maxlen: 2 })).toEqual([[2, 3], [4, 5], [0, 6]]);
    expect(padSequences(seqs, { maxlen: 2, truncating: 'post' })).toEqual([[1, 2], [4, 5], [0, 6]]);
    expect(padSequences(seqs, { maxlen: 2, padding: 'post' })).toEqual([[2, 3], [4, 5], [6, 0]]);
    expect(padSequences(seqs, { maxlen: 2, padding: 'post', truncating: 'post' })).toEqual([[1, 2], [4, 5], [6, 0]]);
  });

  it('pads past the longest sequence when maxlen is longer', () => {
    expect(padSequences(seqs, { maxlen: 5 })).toEqual([[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [0, 0, 0, 0, 6]]);
    expect(padSequences(seqs, { maxlen: 4, padding: 'post', value: -1 })).toEqual([
      [1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1],
    ]);
  });

  it('casts to dtype: int32 truncates toward zero, float32 rounds to float32', () => {
    expect(padSequences([[1.7, -1.7]])).toEqual([[1, -1]]);
    expect(padSequences([[1]], { maxlen: 2, value: 0.5 })).toEqual([[0, 1]]);
    expect(padSequences([[1.5, 2.25]], { maxlen: 3, dtype: 'float32', value: 0.1 })).toEqual([
      [Math.fround(0.1), 1.5, 2.25],
    ]);
  });

  it('handles empty sequences and empty input', () => {
    expect(padSequences([[], [1]])).toEqual([[0], [1]]);
    expect(padSequences([[]], { maxlen: 2, value: 9 })).toEqual([[9, 9]]);
    expect(padSequences([[], []])).toEqual([[], []]);
    expect(padSequences([])).toEqual([]);
    expect(padSequences([[1, 2]], { maxlen: 0 })).toEqual([[]]);
  });

  it('accepts typed arrays and Tokenizer output', () => {
    expect(padSequences([Int32Array.of(7, 8), Float32Array.of(9)])).toEqual([[7, 8], [0, 9]]);
    const tok = fitted();
    expect(padSequences(tok.textsToSequences(TEXTS), { maxlen: 4 })).toEqual([[3, 4, 1, 5], [6, 7, 8, 9]]);
  });

  it('rejects bad options, naming padSequences and the value', () => {
    expect(() => padSequences(seqs, { padding: 'middle' as 'pre' })).toThrow(/padSequences: padding.*"middle"/);
    expect(() => padSequences(seqs, { truncating: 'both' as 'pre' })).toThrow(/padSequences: truncating.*"both"/);
    expect(() => padSequences(seqs, { dtype: 'float64' as 'int32' })).toThrow(/padSequences: dtype.*"float64"/);
    expect(() => padSequences(seqs, { maxlen: -1 })).toThrow(/padSequences: maxlen.*-1/);
    expect(() => padSequences(seqs, { maxlen: 1.5 })).toThrow(/padSequences: maxlen.*1\.5/);
    expect(() => padSequences(seqs, { value: NaN })).toThrow(/padSequences: value NaN/);
    expect(() => padSequences([[1], 5 as unknown as number[]])).toThrow(/padSequences.*element 1/);
    // Checked even when every sequence is empty.
    expect(() => padSequences([[]], { padding: 'x' as 'pre' })).toThrow(/padSequences: padding/);
  });
});

describe('toCategorical', () => {
  it('one-hot encodes with numClasses = max + 1 by default', () => {
    expect(toCategorical([0, 2, 1])).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(toCategorical(Int32Array.of(1, 1))).toEqual([[0, 1], [0, 1]]);
    expect(toCategorical([])).toEqual([]);
  });

  it('uses an explicit numClasses', () => {
    expect(toCategorical([1], 4)).toEqual([[0, 1, 0, 0]]);
    expect(toCategorical([1], 0)).toEqual([[0, 1]]); // 0 means infer, as Keras' `if not num_classes`
  });

  it('rejects labels that are negative, fractional or too large, naming the value', () => {
    expect(() => toCategorical([0, -1])).toThrow(/toCategorical.*-1/);
    expect(() => toCategorical([1.5])).toThrow(/toCategorical.*1\.5/);
    expect(() => toCategorical([0, 3], 3)).toThrow(/toCategorical: label 3 .*numClasses 3/);
    expect(() => toCategorical([0], -2)).toThrow(/toCategorical: numClasses.*-2/);
  });
});
