// readCsv: a CSV file as a source. The schema is given (typed Dataset) or inferred from the file at
// plan time. Bad files fail with the line and column; ragged rows and bad values are per-row errors
// under the run's policy, so a skip run keeps the good rows and counts the rest.
import { readFile } from 'node:fs/promises';
import type { DType } from '../types/dtype.ts';
import { dt, dtypeToString } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import type { RowFailure, Source, SourceBatch, SourceReadOptions } from '../plan/logical-plan.ts';
import { tokenizeCsv } from './csv-parse.ts';
import type { CsvRecord } from './csv-parse.ts';
import { buildData } from '../exec/column.ts';
import { makeChunk, rowIdRange } from '../exec/chunk.ts';
import { CsvParseError, InvalidArgumentError, IoError } from '../errors.ts';

export interface CsvOptions<S extends Schema = Schema> {
  /** Column dtypes by header name; inferred from the data when omitted. */
  readonly schema?: S;
  readonly delimiter?: string;
  /** Strings read as null (default: the empty unquoted field only). */
  readonly nullValues?: readonly string[];
  /** Rows used for inference (default 1000). */
  readonly inferRows?: number;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

async function readText(path: string, op: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new IoError('MF_IO', `cannot read ${path}: ${(e as Error).message}`, { op, fix: 'check the path and permissions', cause: e });
  }
  try {
    return fatalDecoder.decode(buf);
  } catch {
    // Name the line of the first invalid byte.
    let bad = 0;
    for (let lo = 0, hi = buf.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      try { fatalDecoder.decode(buf.subarray(0, mid)); lo = mid + 1; bad = mid; } catch { hi = mid; }
    }
    let line = 1;
    for (let i = 0; i < bad; i++) if (buf[i] === 10) line++;
    throw new CsvParseError('MF_CSV_PARSE', `${path} is not valid UTF-8 (first bad byte near offset ${bad}, line ${line})`, {
      op, line, fix: 'convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)',
    });
  }
}

/** Convert one CSV field to a value of dtype t; throws a message when it cannot. */
export function parseField(s: string, t: DType): unknown {
  switch (t.kind) {
    case 'utf8': return s;
    case 'bool': {
      const l = s.trim().toLowerCase();
      if (l === 'true' || l === '1') return true;
      if (l === 'false' || l === '0') return false;
      throw new Error(`'${s}' is not a boolean (true/false/1/0)`);
    }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': {
      const v = Number(s.trim());
      if (!/^[-+]?\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) throw new Error(`'${s}' is not an integer`);
      return v;
    }
    case 'int64': case 'uint64': case 'timestamp': {
      const x = s.trim();
      if (!/^[-+]?\d+$/.test(x)) throw new Error(`'${s}' is not an integer`);
      return BigInt(x);
    }
    case 'float32': case 'float64': {
      const x = s.trim();
      const v = Number(x);
      if (x === '' || (Number.isNaN(v) && !/^nan$/i.test(x))) throw new Error(`'${s}' is not a number`);
      return v;
    }
    default:
      try {
        return JSON.parse(s);
      } catch {
        throw new Error(`'${s.slice(0, 40)}' is not JSON for ${dtypeToString(t)}`);
      }
  }
}

/** Infer a dtype from sample strings: bool, int32, int64, float64, else utf8. */
export function inferFieldType(samples: readonly string[]): DType {
  let isBool = true, isInt = true, isFloat = true, big = false, any = false;
  for (const s of samples) {
    const x = s.trim();
    if (x === '') continue;
    any = true;
    const l = x.toLowerCase();
    if (l !== 'true' && l !== 'false') isBool = false;
    if (/^[-+]?\d+$/.test(x)) {
      const v = Number(x);
      if (v > 2147483647 || v < -2147483648) big = true;
    } else isInt = false;
    if (!(x !== '' && (!Number.isNaN(Number(x)) || /^nan$/i.test(x)))) isFloat = false;
  }
  if (!any) return dt.utf8();
  if (isBool) return dt.bool();
  if (isInt) return big ? dt.int64() : dt.int32();
  if (isFloat) return dt.float64();
  return dt.utf8();
}

class CsvSource implements Source {
  readonly name = 'readCsv';
  readonly knownSchema: Schema | null;
  private inferred: Schema | null = null;
  readonly path: string;
  readonly opts: CsvOptions;

  constructor(path: string, opts: CsvOptions) {
    this.path = path;
    this.opts = opts;
    this.knownSchema = opts.schema ?? null;
  }

  describe(): string {
    return `${this.path}${this.knownSchema ? '' : ' (schema inferred)'}`;
  }

  async resolveSchema(): Promise<Schema> {
    if (this.knownSchema) return this.knownSchema;
    if (this.inferred) return this.inferred;
    const text = await readText(this.path, 'readCsv');
    const it = tokenizeCsv(text, this.tokOpts());
    const header = it.next();
    if (header.done) throw new CsvParseError('MF_CSV_PARSE', `${this.path} is empty: no header line`, { op: 'readCsv', line: 1, fix: 'add a header line naming the columns' });
    const names = header.value.fields;
    checkHeader(names, this.path);
    const samples: string[][] = names.map(() => []);
    let k = 0;
    for (const r of it) {
      if (k++ >= (this.opts.inferRows ?? 1000)) break;
      r.fields.forEach((f, j) => { if (j < names.length && !this.isNull(f, r.quoted[j]!)) samples[j]!.push(f); });
    }
    const s: Record<string, DType> = {};
    names.forEach((nm, j) => { s[nm] = inferFieldType(samples[j]!); });
    this.inferred = s;
    return s;
  }

  private tokOpts() {
    return { source: this.path, ...(this.opts.delimiter ? { delimiter: this.opts.delimiter } : {}) };
  }

  private isNull(f: string, quoted: boolean): boolean {
    if (this.opts.nullValues) return this.opts.nullValues.includes(f) && !quoted;
    return f === '' && !quoted;
  }

  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const schema = await this.resolveSchema();
    const text = await readText(this.path, 'readCsv');
    const it = tokenizeCsv(text, this.tokOpts());
    const header = it.next();
    if (header.done) return;
    const names = header.value.fields;
    checkHeader(names, this.path);
    const cols = Object.keys(schema);
    const pos = cols.map((c) => {
      const j = names.indexOf(c);
      if (j < 0) {
        throw new CsvParseError('MF_CSV_PARSE', `column '${c}' of the schema is not in the header of ${this.path} (header: ${names.join(', ')})`, {
          op: 'readCsv', column: c, line: 1, fix: 'match the schema to the header names',
        });
      }
      return j;
    });
    const wanted = o.columns ? new Set(o.columns) : null;
    let rowId = 0;
    let rows: unknown[][] = cols.map(() => []);
    let ids: number[] = [];
    let errors: RowFailure[] = [];
    const flush = (): SourceBatch => {
      const data: Record<string, ReturnType<typeof buildData>> = {};
      cols.forEach((c, j) => { data[c] = buildData(schema[c]!, rows[j]!, c); });
      // Consecutive ids (no bad line in the batch) are described as a range.
      const n = ids.length;
      const rowIds = n > 0 && ids[n - 1]! - ids[0]! === n - 1 ? rowIdRange(ids[0]!, n) : Float64Array.from(ids);
      const b: SourceBatch = { chunk: makeChunk(schema, data, rowIds), errors };
      rows = cols.map(() => []);
      ids = [];
      errors = [];
      return b;
    };
    for (const r of it) {
      const id = rowId++;
      if (o.shard && id % o.shard.count !== o.shard.index) continue;
      const vals = this.convert(r, names.length, cols, pos, schema, wanted, id, errors);
      if (vals) {
        vals.forEach((v, j) => rows[j]!.push(v));
        ids.push(id);
      }
      if (ids.length >= o.batchSize) yield flush();
      if (o.limit !== undefined && id + 1 >= o.limit) break;
    }
    if (ids.length > 0 || errors.length > 0) yield flush();
  }

  private convert(r: CsvRecord, width: number, cols: string[], pos: number[], schema: Schema, wanted: Set<string> | null,
    rowId: number, errors: RowFailure[]): unknown[] | null {
    if (r.fields.length !== width) {
      errors.push({
        rowId, op: 'readCsv', code: 'MF_CSV_PARSE',
        message: `${this.path} line ${r.line}: ${r.fields.length} fields, header has ${width}`,
        row: { line: r.line, text: r.fields.join(this.opts.delimiter ?? ',').slice(0, 200) },
      });
      return null;
    }
    const out: unknown[] = new Array(cols.length);
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!;
      if (wanted && !wanted.has(c)) { out[j] = null; continue; }
      const f = r.fields[pos[j]!]!;
      if (this.isNull(f, r.quoted[pos[j]!]!)) { out[j] = null; continue; }
      try {
        out[j] = parseField(f, schema[c]!);
      } catch (e) {
        errors.push({
          rowId, op: 'readCsv', column: c, code: 'MF_CSV_PARSE',
          message: `${this.path} line ${r.line}, column '${c}': ${(e as Error).message} (expected ${dtypeToString(schema[c]!)})`,
          row: { line: r.line },
        });
        return null;
      }
    }
    return out;
  }
}

function checkHeader(names: readonly string[], path: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new CsvParseError('MF_CSV_PARSE', `header of ${path} names column '${n}' twice`, { op: 'readCsv', column: n, line: 1, fix: 'give every column a distinct name' });
    seen.add(n);
  }
}

export function csvSource(path: string, opts: CsvOptions = {}): Source {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'readCsv needs a file path', { op: 'readCsv', fix: "readCsv('data/file.csv')" });
  }
  return new CsvSource(path, opts);
}
