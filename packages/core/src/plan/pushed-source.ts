// A source with planner push-downs applied: it asks its reader for only the needed columns and
// (as a hint) to stop after a number of rows, and hands on chunks with exactly those columns. The
// executor needs no special case: it reads this like any source.
import type { Schema } from '../types/schema.ts';
import type { DType } from '../types/dtype.ts';
import type { Source, SourceBatch, SourceNode, SourceReadOptions } from './logical-plan.ts';
import { makeChunk, rowIdsOf } from '../exec/chunk.ts';
import type * as arrow from 'apache-arrow';

class PushedSource implements Source {
  readonly inner: Source;
  readonly columns: readonly string[] | undefined;
  readonly limit: number | undefined;
  readonly rowCount?: number;

  constructor(inner: Source, columns: readonly string[] | undefined, limit: number | undefined) {
    this.inner = inner;
    this.columns = columns;
    this.limit = limit;
    if (inner.rowCount !== undefined) this.rowCount = limit === undefined ? inner.rowCount : Math.min(limit, inner.rowCount);
  }
  get name(): string { return this.inner.name; }
  // The full schema of the underlying source: the plan node applies `columns` (sourceNodeSchema).
  get knownSchema(): Schema | null { return this.inner.knownSchema; }
  resolveSchema(): Promise<Schema> { return this.inner.resolveSchema(); }
  describe(): string {
    const parts = [this.inner.describe()];
    if (this.columns) parts.push(`columns=[${this.columns.join(', ')}]`);
    if (this.limit !== undefined) parts.push(`limit=${this.limit}`);
    return parts.join(' ');
  }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const want = this.columns && o.columns ? this.columns.filter((c) => o.columns!.includes(c)) : (this.columns ?? o.columns);
    // A cap on source row ids would cut a shard short (its rows are spread over all ids).
    const limit = o.shard ? o.limit : this.limit === undefined ? o.limit : Math.min(this.limit, o.limit ?? Infinity);
    const opts: SourceReadOptions = { ...o, ...(want ? { columns: want } : {}), ...(limit !== undefined ? { limit } : {}) };
    for await (const b of this.inner.read(opts)) {
      if (!want) { yield b; continue; }
      const schema: Record<string, DType> = {};
      const cols: Record<string, arrow.Data> = {};
      for (const k of want) {
        schema[k] = b.chunk.schema[k]!;
        cols[k] = b.chunk.columns[k]!;
      }
      yield { ...b, chunk: makeChunk(schema, cols, rowIdsOf(b.chunk)) };
    }
  }
}

/** The source a (possibly pushed-down) source node reads from, without push-downs. */
export function baseSource(s: Source): Source {
  return s instanceof PushedSource ? s.inner : s;
}

/** A copy of a source node with columns and/or a row cap pushed down into its reader. */
export function pushDownSource(n: SourceNode, push: { readonly columns?: readonly string[]; readonly limit?: number }): SourceNode {
  const columns = push.columns ?? n.columns;
  const limit = push.limit ?? n.limit;
  return {
    ...n,
    source: new PushedSource(baseSource(n.source), columns, limit),
    ...(columns ? { columns } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}
