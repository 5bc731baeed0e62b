/**
 * JSON helpers for reading and writing Keras' tokenizer JSON.
 *
 * Keras writes with Python's `json.dumps` defaults (", " and ": " separators, non-ASCII
 * escaped as \uXXXX), so the same format is produced here; any JSON reader accepts it.
 * Reading keeps key order, which a plain `JSON.parse` cannot do for integer-like keys
 * such as the word "2019" (JS objects always list those first). The order of
 * `word_counts` decides how tied words are ranked, so it has to survive a round trip.
 */

/** A string as Python's `json.dumps(s)` (ensure_ascii=True) writes it. */
export function pyJsonString(s: string): string {
  // JSON.stringify already escapes quotes, backslashes and control characters the way
  // Python does; Python also escapes everything outside printable ASCII.
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

function pyJsonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

/** A JSON value written like Python's `json.dumps(value)`. Objects keep entry order. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyJsonNumber(value);
  if (typeof value === 'string') return pyJsonString(value);
  if (value instanceof Map) return pyJsonEntries([...value.entries()]);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (typeof value === 'object') return pyJsonEntries(Object.entries(value as object));
  throw new TypeError(`cannot serialize a value of type ${typeof value} to JSON`);
}

/** An object from ordered entries; keys are turned into strings as Python does. */
export function pyJsonEntries(entries: Iterable<readonly [unknown, unknown]>): string {
  const parts: string[] = [];
  for (const [k, v] of entries) parts.push(pyJsonString(String(k)) + ': ' + pyJsonDumps(v));
  return '{' + parts.join(', ') + '}';
}

const WS = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SCALAR =
  /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity/y;

/**
 * The entries of a flat JSON object (values are strings, numbers, booleans or null),
 * in the order they appear in the text. `what` names the field in error messages.
 */
export function parseOrderedEntries(json: string, what: string): Array<[string, unknown]> {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`Tokenizer.fromJSON: ${what} is not a flat JSON object (${msg} at offset ${pos})`);
  };
  const skip = () => {
    WS.lastIndex = pos;
    WS.exec(json);
    pos = WS.lastIndex;
  };
  const take = (re: RegExp): string | null => {
    re.lastIndex = pos;
    const m = re.exec(json);
    if (!m) return null;
    pos = re.lastIndex;
    return m[0];
  };
  const scalar = (tok: string): unknown => {
    if (tok === 'NaN') return NaN;
    if (tok === 'Infinity') return Infinity;
    if (tok === '-Infinity') return -Infinity;
    return JSON.parse(tok);
  };

  const out: Array<[string, unknown]> = [];
  skip();
  if (json[pos] !== '{') fail("expected '{'");
  pos++;
  skip();
  if (json[pos] === '}') {
    pos++;
  } else {
    for (;;) {
      skip();
      const key = take(STRING);
      if (key === null) fail('expected a string key');
      skip();
      if (json[pos] !== ':') fail("expected ':'");
      pos++;
      skip();
      const val = take(SCALAR);
      if (val === null) fail('expected a string, number, boolean or null value');
      out.push([JSON.parse(key as string) as string, scalar(val as string)]);
      skip();
      if (json[pos] === ',') {
        pos++;
        continue;
      }
      if (json[pos] === '}') {
        pos++;
        break;
      }
      fail("expected ',' or '}'");
    }
  }
  skip();
  if (pos !== json.length) fail('unexpected trailing text');
  return out;
}
