/**
 * fe.data.csv: the records of a CSV file as a dataset, streamed (see csv-records.ts), with
 * TensorFlow.js' configuration. An element is an object of column → value (a number when
 * the field reads as one, else the string), or `{ xs, ys }` when columns are labels.
 *
 * Where ferrite is stricter than TensorFlow.js (which keeps going with a wrong value):
 * a non-numeric field in a float32/int32 column, a fraction in an int32 column and a bool
 * field other than true/false/1/0 throw, naming the line and column; dtype 'string' keeps
 * the text; a field of only spaces counts as empty; `""` inside quotes is one quote and
 * quoted fields may hold line breaks (RFC 4180); blank lines are skipped; unknown config keys throw.
 */
import { Dataset } from './dataset';
import { CsvRecordReader } from './csv-records';
import { describeValue, type DataElement } from './element';
import { END, LazyIterator } from './lazy-iterator';
import { DataSource, FileDataSource, URLDataSource } from './sources';

export type ColumnDType = 'float32' | 'int32' | 'bool' | 'string';

export interface ColumnConfig {
  /** An empty field throws (labels are always required). */
  required?: boolean;
  /** How the field is read: float32 / int32 → number, bool → 1 or 0, string → the text. */
  dtype?: ColumnDType;
  /** The value of an empty field. */
  default?: DataElement;
  /** The column goes to `ys` (elements become `{ xs, ys }`). */
  isLabel?: boolean;
}

export interface CSVConfig {
  /** The first record names the columns (default true). */
  hasHeader?: boolean;
  /** Column names, in order (replacing the header's; required without a header). */
  columnNames?: string[];
  /** Per-column settings, by column name. */
  columnConfigs?: { [name: string]: ColumnConfig };
  /** Only the columns of columnConfigs are read. */
  configuredColumnsOnly?: boolean;
  /** One character between fields (default ','). */
  delimiter?: string;
  /** Runs of spaces / tabs separate fields (no delimiter then). */
  delimWhitespace?: boolean;
}

const CONFIG_KEYS = ['hasHeader', 'columnNames', 'columnConfigs', 'configuredColumnsOnly', 'delimiter', 'delimWhitespace'];
const COLUMN_KEYS = ['required', 'dtype', 'default', 'isLabel'];
const DTYPES: ColumnDType[] = ['float32', 'int32', 'bool', 'string'];

interface Column {
  name: string;
  index: number;
  config: ColumnConfig | null;
}

export class CSVDataset extends Dataset<DataElement> {
  readonly hasHeader: boolean;
  readonly delimiter: string;
  readonly delimWhitespace: boolean;
  private readonly configuredColumnsOnly: boolean;
  private readonly columnConfigs: { [name: string]: ColumnConfig } | null;
  private fullColumnNames: string[] | null;
  private validated: Promise<Column[]> | null = null;

  constructor(readonly input: DataSource, config: CSVConfig = {}) {
    super();
    if (!(input instanceof DataSource)) throw new TypeError(`CSVDataset: expected a DataSource, got ${describeValue(input)}`);
    if (config === null || typeof config !== 'object') throw new TypeError(`csv: config must be an object, got ${describeValue(config)}`);
    for (const k of Object.keys(config)) {
      if (!CONFIG_KEYS.includes(k)) throw new TypeError(`csv: unknown config key '${k}' (${CONFIG_KEYS.join(', ')})`);
    }
    this.hasHeader = config.hasHeader ?? true;
    if (typeof this.hasHeader !== 'boolean') throw new TypeError(`csv: hasHeader must be a boolean, got ${describeValue(config.hasHeader)}`);
    if (config.columnNames !== undefined && (!Array.isArray(config.columnNames) || config.columnNames.some((c) => typeof c !== 'string'))) {
      throw new TypeError(`csv: columnNames must be an array of strings, got ${describeValue(config.columnNames)}`);
    }
    this.fullColumnNames = config.columnNames ? [...config.columnNames] : null;
    this.columnConfigs = config.columnConfigs ?? null;
    if (this.columnConfigs !== null) checkColumnConfigs(this.columnConfigs);
    this.configuredColumnsOnly = config.configuredColumnsOnly ?? false;
    if (this.configuredColumnsOnly && !this.columnConfigs) {
      throw new Error('csv: configuredColumnsOnly needs columnConfigs (the columns to read)');
    }
    if (config.delimWhitespace) {
      if (config.delimiter != null) throw new Error('csv: delimiter should not be given when delimWhitespace is true');
      this.delimWhitespace = true;
      this.delimiter = ' ';
    } else {
      this.delimWhitespace = false;
      this.delimiter = config.delimiter ?? ',';
      if (typeof this.delimiter !== 'string' || this.delimiter.length !== 1 || '"\r\n'.includes(this.delimiter)) {
        throw new Error(`csv: delimiter must be one character other than a quote or a line break, got ${describeValue(config.delimiter)}`);
      }
    }
  }

  /**
   * The column names: those of columnConfigs with configuredColumnsOnly, else columnNames, else
   * the header's.
   */
  async columnNames(): Promise<string[]> {
    await this.columns();
    return this.configuredColumnsOnly ? Object.keys(this.columnConfigs!) : [...this.fullColumnNames!];
  }

  private columns(): Promise<Column[]> {
    this.validated ??= this.resolveColumns().catch((e) => {
      this.validated = null; // a later call tries again (e.g. after the file appeared)
      throw e;
    });
    return this.validated;
  }

  private async resolveColumns(): Promise<Column[]> {
    let fromFile: string[] | null = null;
    if (this.hasHeader) {
      const reader = this.reader(await this.input.iterator());
      try {
        fromFile = await reader.next();
      } finally {
        await reader.close();
      }
      if (!fromFile) throw new Error('csv: no data was found (the file is empty, so it has no header line)');
    }
    if (!this.fullColumnNames && !fromFile) throw new Error('csv: columnNames must be given when there is no header line (hasHeader: false)');
    if (this.fullColumnNames && fromFile && fromFile.length !== this.fullColumnNames.length) {
      throw new Error(
        `csv: columnNames has ${this.fullColumnNames.length} names but the header line has ${fromFile.length} columns (${fromFile.join(', ')})`,
      );
    }
    const names = (this.fullColumnNames ??= fromFile!);
    const seen = new Set<string>();
    const dup = names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
    if (dup.length) throw new Error(`csv: duplicate column names: ${[...new Set(dup)].join(', ')}`);
    for (const key of Object.keys(this.columnConfigs ?? {})) {
      if (!names.includes(key)) throw new Error(`csv: columnConfigs names the column '${key}', which is not among the columns (${names.join(', ')})`);
    }
    return names
      .map((name, index) => ({ name, index, config: this.columnConfigs?.[name] ?? null }))
      .filter((c) => !this.configuredColumnsOnly || c.config);
  }

  private reader(bytes: LazyIterator<Uint8Array>): CsvRecordReader {
    return new CsvRecordReader(bytes, this.delimiter, this.delimWhitespace);
  }

  async iterator(): Promise<LazyIterator<DataElement>> {
    const columns = await this.columns();
    const reader = this.reader(await this.input.iterator());
    return new CsvElementIterator(reader, columns, this.fullColumnNames!.length, this.hasHeader);
  }
}

function checkColumnConfigs(configs: { [name: string]: ColumnConfig }): void {
  if (typeof configs !== 'object' || Array.isArray(configs)) throw new TypeError(`csv: columnConfigs must be an object of column name → config, got ${describeValue(configs)}`);
  for (const [name, c] of Object.entries(configs)) {
    if (c === null || typeof c !== 'object') throw new TypeError(`csv: columnConfigs['${name}'] must be an object, got ${describeValue(c)}`);
    for (const k of Object.keys(c)) {
      if (!COLUMN_KEYS.includes(k)) throw new TypeError(`csv: unknown key '${k}' in columnConfigs['${name}'] (${COLUMN_KEYS.join(', ')})`);
    }
    if (c.dtype !== undefined && !DTYPES.includes(c.dtype)) {
      throw new TypeError(`csv: columnConfigs['${name}'].dtype must be one of ${DTYPES.join(', ')}, got ${describeValue(c.dtype)}`);
    }
  }
}

/** Records → elements, skipping the header record. */
class CsvElementIterator extends LazyIterator<DataElement> {
  private headerSkipped: boolean;
  private readonly hasLabels: boolean;

  constructor(private readonly reader: CsvRecordReader, private readonly columns: Column[], private readonly width: number, hasHeader: boolean) {
    super();
    this.headerSkipped = !hasHeader;
    this.hasLabels = columns.some((c) => c.config?.isLabel);
  }

  protected async serialNext(): Promise<IteratorResult<DataElement, undefined>> {
    let record = await this.reader.next();
    if (!this.headerSkipped) {
      this.headerSkipped = true;
      record = await this.reader.next();
    }
    if (!record) {
      await this.reader.close();
      return END;
    }
    return { value: this.element(record), done: false };
  }

  private element(fields: string[]): DataElement {
    const line = this.reader.recordLine;
    if (fields.length !== this.width) {
      const shown = fields.join(',');
      throw new Error(
        `csv: line ${line} has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${this.width}: ${shown.length > 80 ? shown.slice(0, 80) + '…' : shown}`,
      );
    }
    const features: { [key: string]: DataElement } = {};
    const labels: { [key: string]: DataElement } = {};
    for (const col of this.columns) {
      const value = parseField(fields[col.index], col, line);
      if (col.config?.isLabel) labels[col.name] = value;
      else features[col.name] = value;
    }
    return this.hasLabels ? { xs: features, ys: labels } : features;
  }

  protected override async release(): Promise<void> {
    await this.reader.close();
  }
}

/** Empty or only spaces / tabs (checked without allocating: it runs for every field). */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function parseField(raw: string, col: Column, line: number): DataElement {
  const config = col.config;
  if (isBlank(raw)) {
    if (config?.default !== undefined) return config.default;
    if (config?.required || config?.isLabel) throw new Error(`csv: the required column '${col.name}' is empty on line ${line}`);
    return undefined;
  }
  const dtype = config?.dtype;
  if (dtype === 'string') return raw;
  if (dtype === 'bool') {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1') return 1;
    if (v === 'false' || v === '0') return 0;
    throw new Error(`csv: column '${col.name}' (bool) has ${JSON.stringify(raw)} on line ${line}; expected true, false, 1 or 0`);
  }
  const num = Number(raw);
  if (Number.isNaN(num)) {
    if (dtype === undefined) return raw;
    throw new Error(`csv: column '${col.name}' (${dtype}) has ${JSON.stringify(raw)} on line ${line}, which is not a number`);
  }
  if (dtype === 'int32' && !Number.isInteger(num)) {
    throw new Error(`csv: column '${col.name}' (int32) has ${raw} on line ${line}, which is not an integer`);
  }
  return num;
}

/**
 * A CSV dataset from a source: in Node a path or `file://` URL (streamed from disk), or an
 * http(s) URL; in a browser a URL (the response streamed as it arrives) or a File / Blob;
 * also a Uint8Array or any DataSource (e.g. `new FileDataSource(path, { chunkSize })`).
 */
export function csv(source: string | URL | Request | Blob | Uint8Array | DataSource, config: CSVConfig = {}): CSVDataset {
  let input: DataSource;
  if (source instanceof DataSource) input = source;
  else if (source instanceof Uint8Array || (typeof Blob !== 'undefined' && source instanceof Blob)) input = new FileDataSource(source);
  else if (typeof source === 'string' || source instanceof URL || (typeof Request !== 'undefined' && source instanceof Request)) input = new URLDataSource(source);
  else throw new TypeError(`csv: expected a path, a URL, a File/Blob, a Uint8Array or a DataSource, got ${describeValue(source)}`);
  return new CSVDataset(input, config);
}
