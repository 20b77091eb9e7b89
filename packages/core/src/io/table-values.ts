// An Arrow table read back with modaflow's value conventions (bigint for int64/timestamps, Tensor
// for tensor columns, nulls kept) — what arrow-js's own row accessors do not give (they turn
// nanosecond timestamps into lossy milliseconds and tensors into list vectors).
import type * as arrow from 'apache-arrow';
import { fromArrowField, fromArrowSchema } from '../types/arrow-types.ts';
import { columnValues } from '../exec/column.ts';
import { ColumnNotFoundError } from '../errors.ts';

/**
 * The values of one column of a table.
 * @example tableColumn(await ds.compute(), 'ts') // bigint[] for a timestamp column
 */
export function tableColumn(t: arrow.Table, name: string): unknown[] {
  const field = t.schema.fields.find((f) => f.name === name);
  if (!field) {
    throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `table has no column '${name}'; columns: ${t.schema.fields.map((f) => f.name).join(', ')}`, {
      column: name, fix: 'check the column name',
    });
  }
  return columnValues(fromArrowField(field), t.getChild(name)!);
}

/**
 * The rows of a table as plain objects.
 * @example tableRows(await ds.compute()) // [{ id: 'a', n: 1n, emb: { data: Float32Array, shape: [4] } }, …]
 */
export function tableRows(t: arrow.Table): Record<string, unknown>[] {
  const s = fromArrowSchema(t.schema);
  const cols = Object.keys(s).map((k) => [k, columnValues(s[k]!, t.getChild(k)!)] as const);
  const out: Record<string, unknown>[] = new Array(t.numRows);
  for (let i = 0; i < t.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const [k, v] of cols) r[k] = v[i];
    out[i] = r;
  }
  return out;
}
