// Test helpers: table → plain rows with modaflow's value conventions (bigint, Tensor).
import type * as arrow from 'apache-arrow';
import { fromArrowSchema, columnValues } from '@modaflow/core';

export function rowsOf(t: arrow.Table): Record<string, unknown>[] {
  const s = fromArrowSchema(t.schema);
  const cols = Object.keys(s).map((k) => [k, columnValues(s[k]!, t.getChild(k)!)] as const);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const [k, v] of cols) r[k] = v[i];
    out.push(r);
  }
  return out;
}

export function column(t: arrow.Table, name: string): unknown[] {
  const s = fromArrowSchema(t.schema);
  return columnValues(s[name]!, t.getChild(name)!);
}
