// Shared test helpers: table → plain rows (bigints kept), and a temp directory per test file.
import type * as arrow from 'apache-arrow';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrowSchema, columnValues } from '../src/index.ts';

/** Rows of a table as plain objects, using modaflow's value conventions (bigint, Tensor). */
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

export function tempDir(prefix = 'modaflow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
