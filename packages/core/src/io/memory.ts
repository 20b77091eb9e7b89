// In-memory sources: fromRows (JS objects) and fromArrow (an apache-arrow Table). Rows are built
// into Arrow batches lazily, at compute time.
import * as arrow from 'apache-arrow';
import type { DType } from '../types/dtype.ts';
import { dt } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import type { Source, SourceBatch, SourceReadOptions } from '../plan/logical-plan.ts';
import { buildData } from '../exec/column.ts';
import { makeChunk, recordBatchChunks, rowIdAt, rowIdRange, rowIdsOf, takeChunk } from '../exec/chunk.ts';
import type { Chunk } from '../exec/chunk.ts';
import { fromArrowSchema, toArrowSchema } from '../types/arrow-types.ts';
import { adoptData } from '../exec/apply-op.ts';
import { InvalidArgumentError, SchemaError } from '../errors.ts';

/** Rows of this shard (row id modulo count), or the chunk itself without sharding. */
export function shardChunk(c: Chunk, shard: SourceReadOptions['shard']): Chunk {
  if (!shard || shard.count === 1) return c;
  const keep: number[] = [];
  const ids = rowIdsOf(c);
  if (!(ids instanceof Float64Array) && !ids.runs) {
    // A range: its shard's rows are every count-th row from the first one that belongs to it.
    const first = (((shard.index - ids.first) % shard.count) + shard.count) % shard.count;
    for (let i = first; i < c.length; i += shard.count) keep.push(i);
  } else {
    const a = c.rowIds;
    // A batch already sharded by its source (the engine checks every batch again) passes as it is.
    let all = 0;
    while (all < c.length && a[all]! % shard.count === shard.index) all++;
    if (all === c.length) return c;
    for (let i = 0; i < all; i++) keep.push(i);
    for (let i = all; i < c.length; i++) if (a[i]! % shard.count === shard.index) keep.push(i);
  }
  return keep.length === c.length ? c : takeChunk(c, keep);
}

/** The dtype of a JS value, for schema inference from rows. */
export function inferValueType(v: unknown, column: string): DType | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number': return dt.float64();
    case 'string': return dt.utf8();
    case 'boolean': return dt.bool();
    case 'bigint': return dt.int64();
  }
  if (v instanceof Uint8Array) return dt.binary();
  if (v instanceof Date) return dt.timestamp('ms');
  if (Array.isArray(v)) {
    const first = v.find((x) => x !== null && x !== undefined);
    const item = first === undefined ? dt.float64() : inferValueType(first, column);
    return dt.list(item ?? dt.float64());
  }
  throw new SchemaError('MF_SCHEMA', `cannot infer a dtype for value of type ${Object.prototype.toString.call(v)}`, {
    op: 'fromRows', column, fix: 'pass a schema: fromRows(rows, { col: dt.tensor(...) })',
  });
}

class RowsSource implements Source {
  readonly name = 'fromRows';
  readonly knownSchema: Schema;
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number;

  constructor(rows: readonly Record<string, unknown>[], schema: Schema) {
    this.rows = rows;
    this.knownSchema = schema;
    this.rowCount = rows.length;
  }
  describe(): string { return `${this.rows.length} rows`; }
  async resolveSchema(): Promise<Schema> { return this.knownSchema; }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const cols = Object.keys(this.knownSchema);
    const end = o.limit === undefined ? this.rows.length : Math.min(this.rows.length, o.limit);
    for (let s = 0; s < end; s += o.batchSize) {
      const e = Math.min(end, s + o.batchSize);
      const data: Record<string, arrow.Data> = {};
      for (const c of cols) {
        const vals = new Array(e - s);
        for (let i = s; i < e; i++) vals[i - s] = this.rows[i]![c] ?? null;
        data[c] = buildData(this.knownSchema[c]!, vals, c);
      }
      yield { chunk: shardChunk(makeChunk(this.knownSchema, data, rowIdRange(s, e - s)), o.shard) };
    }
  }
}

export function rowsSource(rows: readonly Record<string, unknown>[], schema?: Schema): Source {
  if (!Array.isArray(rows)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'fromRows needs an array of row objects', { op: 'fromRows', fix: 'fromRows([{ a: 1 }, { a: 2 }])' });
  }
  let s = schema;
  if (!s) {
    const inferred: Record<string, DType> = {};
    for (const r of rows) {
      for (const [k, v] of Object.entries(r)) {
        if (inferred[k]) continue;
        const t = inferValueType(v, k);
        if (t) inferred[k] = t;
      }
    }
    // Columns that are null everywhere still exist.
    for (const r of rows) for (const k of Object.keys(r)) inferred[k] ??= dt.utf8();
    s = inferred;
  }
  return new RowsSource(rows, s);
}

/**
 * The table with this module's apache-arrow classes. A table built by another copy of apache-arrow
 * (the CommonJS build beside the ESM one, or another version in node_modules) passes
 * `instanceof arrow.Table`, but its column types are not this copy's DataType instances, and
 * arrow's own functions (makeData, slicing into kernels) reject them. Its buffers are re-wrapped
 * with this copy's types, without copying.
 */
function ownArrow(table: arrow.Table, schema: Schema): arrow.Table {
  if (table.batches.every((b) => b.data.children.every((d) => d.type instanceof arrow.DataType))) return table;
  const own = toArrowSchema(schema);
  const names = Object.keys(schema);
  const batches = table.batches.map((b) => {
    const children = names.map((k, i) => {
      const d = b.data.children[i]!;
      return d.type instanceof arrow.DataType ? d : adoptData(schema[k]!, d, k, 'fromArrow');
    });
    return new arrow.RecordBatch(own, arrow.makeData({ type: new arrow.Struct(own.fields), length: b.numRows, nullCount: 0, children }));
  });
  return new arrow.Table(own, batches);
}

class ArrowTableSource implements Source {
  readonly name = 'fromArrow';
  readonly knownSchema: Schema;
  readonly table: arrow.Table;
  readonly rowCount: number;
  constructor(table: arrow.Table) {
    this.knownSchema = fromArrowSchema(table.schema);
    this.table = ownArrow(table, this.knownSchema);
    this.rowCount = table.numRows;
  }
  describe(): string { return `arrow table, ${this.table.numRows} rows`; }
  async resolveSchema(): Promise<Schema> { return this.knownSchema; }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    let first = 0;
    for (const b of this.table.batches) {
      for (const c of recordBatchChunks(b, first, o.batchSize, this.knownSchema)) {
        if (o.limit !== undefined && rowIdAt(c, 0) >= o.limit) return;
        yield { chunk: shardChunk(c, o.shard) };
      }
      first += b.numRows;
    }
  }
}

export function arrowTableSource(table: arrow.Table): Source {
  if (!(table instanceof arrow.Table)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'fromArrow needs an apache-arrow Table', { op: 'fromArrow', fix: 'build one with tableFromArrays or tableFromIPC' });
  }
  return new ArrowTableSource(table);
}
