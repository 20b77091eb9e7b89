// Planner test helpers: optimize a dataset's plan with chosen rules and print it; run a plan in
// process and get its rows.
import { displayPlan, dt } from '../../src/index.ts';
import type { Dataset, PlanNode, Schema } from '../../src/index.ts';
import { fromRows } from '../../src/index.ts';
import { annotateNode, optimize } from '../../src/plan/optimizer.ts';
import type { OptimizerOptions } from '../../src/plan/optimizer.ts';
import { PlanSchemas } from '../../src/plan/rule.ts';
import type { Rule } from '../../src/plan/rule.ts';
import { resolveSchemas } from '../../src/plan/logical-plan.ts';
import { InProcessExecutor } from '../../src/exec/executor.ts';
import type { ErrorPolicy } from '../../src/exec/report.ts';
import { columnValues } from '../../src/index.ts';

/** The plan text with node ids left out, so goldens do not depend on construction order. */
export function text(plan: PlanNode): string {
  return displayPlan(plan, { annotate: annotateNode }).replace(/ {2}@\d+/g, '  @shared').replace(/@\d+ \(shared/g, '@shared (shared');
}

/** Optimize with exactly the given rules; returns the plan text after and the rule names that fired. */
export async function rewrite(ds: Dataset<Schema>, rules: readonly Rule[], opts: OptimizerOptions & { onError?: ErrorPolicy } = {}) {
  const schemas = PlanSchemas.fromResolved(await resolveSchemas(ds.plan));
  const r = optimize(ds.plan, schemas, { ...opts, rules });
  return { before: text(ds.plan), after: text(r.plan), fired: [...new Set(r.fired.map((f) => f.rule))], result: r };
}

/** Runs a plan in this thread and returns its rows as plain objects (column order kept). */
export async function runRows(plan: PlanNode, opts: { batchSize?: number; onError?: ErrorPolicy } = {}): Promise<Record<string, unknown>[]> {
  const ex = new InProcessExecutor({ batchSize: opts.batchSize ?? 4, onError: opts.onError ?? 'fail', seed: 7, signal: new AbortController().signal });
  const rows: Record<string, unknown>[] = [];
  for await (const c of ex.run(plan)) {
    const cols = Object.keys(c.schema).map((k) => [k, columnValues(c.schema[k]!, c.columns[k]!)] as const);
    for (let i = 0; i < c.length; i++) rows.push(Object.fromEntries(cols.map(([k, v]) => [k, v[i]])));
  }
  return rows;
}

export const SCHEMA = { id: dt.float64(), a: dt.float64(), b: dt.float64(), label: dt.utf8() } as const;

/** A small typed source with ids 0..n-1. */
export function source(n = 10) {
  return fromRows(Array.from({ length: n }, (_, i) => ({ id: i, a: i % 5, b: i % 3, label: i % 10 === 0 ? 'cat' : 'dog' })), SCHEMA);
}
