/**
 * Splits a stream of UTF-8 byte chunks into CSV records (arrays of field strings), one record
 * at a time, holding no more than the current chunk and the current record: a file larger
 * than memory streams through it.
 *
 * RFC 4180 quoting: a field that starts with `"` is quoted; inside it, delimiters and line
 * breaks are data and `""` is one quote. Records end at `\n` or `\r\n`. Blank lines are
 * skipped. With `whitespace`, runs of spaces and tabs separate fields (leading and trailing
 * ones are not fields). Text after a closing quote up to the next delimiter is kept as part
 * of the field (`"ab"c` → `abc`), as lenient parsers do.
 */
import type { LazyIterator } from './lazy-iterator';

const QUOTE = 34; // "
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

const enum State {
  /** Before a field's first character. */
  FieldStart,
  /** In an unquoted field. */
  Unquoted,
  /** In a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: `""` or the closing quote. */
  QuoteInQuoted,
  /** After a quoted field's closing quote. */
  AfterQuote,
}

export class CsvRecordReader {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly delim: number;
  private text = '';
  private pos = 0;
  private sourceDone = false;
  private state = State.FieldStart;
  private fields: string[] = [];
  private field = '';
  /** A delimiter was just read: a field follows even if it is empty. */
  private fieldPending = false;
  private line = 1;
  /** The line the record being read (or just returned) started on (1-based). */
  recordLine = 1;
  private recordStarted = false;

  constructor(private readonly chunks: LazyIterator<Uint8Array>, delimiter: string, private readonly whitespace: boolean) {
    this.delim = delimiter.charCodeAt(0);
  }

  private isDelim(c: number): boolean {
    return this.whitespace ? c === SPACE || c === TAB : c === this.delim;
  }

  private startRecord(): void {
    if (!this.recordStarted) {
      this.recordStarted = true;
      this.recordLine = this.line;
    }
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
  }

  private takeRecord(): string[] {
    const r = this.fields;
    this.fields = [];
    this.recordStarted = false;
    this.fieldPending = false;
    this.state = State.FieldStart;
    return r;
  }

  /** The next record, or null at the end of the stream. */
  async next(): Promise<string[] | null> {
    for (;;) {
      const r = this.scan();
      if (r) return r;
      if (this.sourceDone) return this.finish();
      const chunk = await this.chunks.next();
      if (chunk.done) {
        this.sourceDone = true;
        this.text = this.decoder.decode();
      } else {
        this.text = this.decoder.decode(chunk.value, { stream: true });
      }
      this.pos = 0;
    }
  }

  /** Closes the byte source. */
  async close(): Promise<void> {
    await this.chunks.return();
  }

  /** Reads from the current text; returns a record when one ends, else null (text used up). */
  private scan(): string[] | null {
    const text = this.text;
    const n = text.length;
    while (this.pos < n) {
      switch (this.state) {
        case State.FieldStart: {
          const c = text.charCodeAt(this.pos);
          if (c === LF) {
            this.pos++;
            this.line++;
            if (this.fieldPending) this.endField();
            if (this.fields.length > 0) return this.takeRecord();
            this.recordStarted = false; // a blank line
            break;
          }
          if (c === CR) {
            this.pos++;
            break;
          }
          if (this.whitespace && (c === SPACE || c === TAB)) {
            this.pos++;
            break;
          }
          this.startRecord();
          if (c === QUOTE) {
            this.pos++;
            this.state = State.Quoted;
          } else if (c === this.delim) {
            this.pos++;
            this.endField();
            this.fieldPending = true;
          } else {
            this.state = State.Unquoted;
          }
          break;
        }
        case State.Unquoted: {
          let j = this.pos;
          while (j < n) {
            const c = text.charCodeAt(j);
            if (c === LF || this.isDelim(c)) break;
            j++;
          }
          this.field += text.slice(this.pos, j);
          this.pos = j;
          if (j === n) break;
          const c = text.charCodeAt(j);
          this.pos++;
          if (c === LF) {
            this.line++;
            if (this.field.charCodeAt(this.field.length - 1) === CR) this.field = this.field.slice(0, -1);
            this.endField();
            return this.takeRecord();
          }
          this.endField();
          this.state = State.FieldStart;
          this.fieldPending = !this.whitespace;
          break;
        }
        case State.Quoted: {
          const j = text.indexOf('"', this.pos);
          const end = j < 0 ? n : j;
          const part = text.slice(this.pos, end);
          for (let k = part.indexOf('\n'); k >= 0; k = part.indexOf('\n', k + 1)) this.line++;
          this.field += part;
          this.pos = j < 0 ? n : j + 1;
          if (j >= 0) this.state = State.QuoteInQuoted;
          break;
        }
        case State.QuoteInQuoted: {
          if (text.charCodeAt(this.pos) === QUOTE) {
            this.field += '"';
            this.pos++;
            this.state = State.Quoted;
          } else {
            this.state = State.AfterQuote;
          }
          break;
        }
        case State.AfterQuote: {
          const c = text.charCodeAt(this.pos);
          if (c === LF) {
            this.pos++;
            this.line++;
            this.endField();
            return this.takeRecord();
          }
          if (c === CR) {
            this.pos++;
            break;
          }
          if (this.isDelim(c)) {
            this.pos++;
            this.endField();
            this.state = State.FieldStart;
            this.fieldPending = !this.whitespace;
            break;
          }
          this.state = State.Unquoted;
          break;
        }
      }
    }
    return null;
  }

  /** The last record when the stream does not end with a line break. */
  private finish(): string[] | null {
    switch (this.state) {
      case State.Quoted:
        throw new Error(`csv: a quoted field that starts on line ${this.recordLine} is never closed (the file ends inside it)`);
      case State.Unquoted:
        if (this.field.charCodeAt(this.field.length - 1) === CR) this.field = this.field.slice(0, -1);
        this.endField();
        return this.takeRecord();
      case State.QuoteInQuoted:
      case State.AfterQuote:
        this.endField();
        return this.takeRecord();
      case State.FieldStart:
        if (this.fieldPending) this.endField();
        return this.fields.length > 0 ? this.takeRecord() : null;
    }
  }
}
