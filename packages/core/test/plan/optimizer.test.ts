// The optimizer's contract: rules are applied to a fixed point, the output schema is checked after
// every rule and a failing rule is named, rules can be disabled by name (or the optimizer turned
// off) from compute(), and explain() shows the plan before and after with the rules that fired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { col, dt, fromRows, readCsv } from '../../src/index.ts';
import type { ModaflowError, PlanNode } from '../../src/index.ts';
import { DEFAULT_RULES, optimize } from '../../src/plan/optimizer.ts';
import { PlanSchemas } from '../../src/plan/rule.ts';
import type { Rule } from '../../src/plan/rule.ts';
import { newNodeId } from '../../src/plan/logical-plan.ts';
import { rowsOf, tempDir } from '../helpers.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { source } from './helpers.ts';
import { add, center, counted, countedRows } from './test-ops.ts';

const schemas = new PlanSchemas(new Map());
const DEFAULT_RULES_BY_NAME = { reorderFilters: DEFAULT_RULES.find((r) => r.name === 'reorder-filters')! };

test('rule names match their files and are unique; each states a precondition', () => {
  const names = DEFAULT_RULES.map((r) => r.name);
  assert.deepEqual(names, ['push-down-filter', 'reorder-filters', 'fold-into-op', 'push-down-limit', 'eliminate-common-subplans', 'prune-columns', 'split-global-op']);
  for (const r of DEFAULT_RULES) assert.ok(r.precondition.length > 40, r.name);
});

test('a rule that changes the output schema is named, with the schemas and a fix', () => {
  const dropLast: Rule = {
    name: 'test-drop-column', precondition: 'none: a broken rule',
    rewrite: (plan) => ({ plan: { kind: 'project', id: newNodeId(), input: plan, items: [{ name: 'id', expr: { e: 'col', name: 'id' } }] }, changed: true }),
  };
  assert.throws(() => optimize(source().plan, schemas, { rules: [dropLast] }), (e: ModaflowError) =>
    e.code === 'MF_OPTIMIZER' && e.op === 'test-drop-column' && /changed the output schema in pass 1: \{id: float64, a: float64, b: float64, label: utf8\} became \{id: float64\}/.test(e.message) &&
    /disable: \['test-drop-column'\]/.test(e.fix ?? ''));
});

test('a rule that throws or builds an invalid plan is named', () => {
  const boom: Rule = { name: 'test-boom', precondition: 'none', rewrite: () => { throw new Error('kaput'); } };
  assert.throws(() => optimize(source().plan, schemas, { rules: [boom] }), (e: ModaflowError) => e.code === 'MF_OPTIMIZER' && e.op === 'test-boom' && /kaput/.test(e.message));
  const bad: Rule = {
    name: 'test-bad-plan', precondition: 'none',
    rewrite: (plan) => ({ plan: { kind: 'filter', id: newNodeId(), input: plan, predicate: { e: 'col', name: 'nope' } }, changed: true }),
  };
  assert.throws(() => optimize(source().plan, schemas, { rules: [bad] }), (e: ModaflowError) => e.code === 'MF_OPTIMIZER' && e.op === 'test-bad-plan' && /invalid plan.*'nope'/.test(e.message));
});

test('passes stop at a fixed point, or at maxPasses when a rule keeps changing the plan', () => {
  const plan = source().map(add('a', 'x', 1)).filter(col('label').eq('cat')).plan;
  const r = optimize(plan, schemas);
  assert.equal(r.fixedPoint, true);
  assert.equal(r.passes, 2, 'one pass that changes, one that confirms');
  let calls = 0;
  const restless: Rule = { name: 'test-restless', precondition: 'none', rewrite: (p: PlanNode) => { calls++; return { plan: { ...p }, changed: true }; } };
  const s = optimize(plan, schemas, { rules: [restless], maxPasses: 4 });
  assert.equal(s.fixedPoint, false);
  assert.equal(s.passes, 4);
  assert.equal(calls, 4);
});

test('disable names are checked; disabled rules do not fire', () => {
  const plan = source().map(add('a', 'x', 1)).filter(col('label').eq('cat')).plan;
  assert.throws(() => optimize(plan, schemas, { disable: ['push-down-filters'] }), (e: ModaflowError) => e.code === 'MF_INVALID_ARGUMENT' && /'push-down-filters' does not exist/.test(e.message) && /push-down-filter,/.test(e.fix ?? ''));
  const on = optimize(plan, schemas);
  assert.ok(on.fired.some((f) => f.rule === 'push-down-filter'));
  const off = optimize(plan, schemas, { disable: ['push-down-filter'] });
  assert.ok(!off.fired.some((f) => f.rule === 'push-down-filter'));
  assert.equal(off.plan, plan);
});

test('compute(): optimizer on, off and with a rule disabled give the same table; the op sees fewer rows when on', async () => {
  const ds = source(40).map(counted('a', 'x')).filter(col('label').eq('cat')).select('id', 'x');
  const runs: Record<string, unknown>[][] = [];
  const seen: number[] = [];
  for (const optimizer of [undefined, false, { disable: ['push-down-filter'] }] as const) {
    countedRows.length = 0;
    runs.push(rowsOf(await ds.compute({ workers: 0, batchSize: 8, ...(optimizer === undefined ? {} : { optimizer }) })));
    seen.push(countedRows.length);
  }
  assert.deepEqual(runs[1], runs[0]);
  assert.deepEqual(runs[2], runs[0]);
  assert.equal(runs[0]!.length, 4);
  assert.deepEqual(seen, [4, 40, 40], 'the filter runs before the op only when push-down-filter is on');
  await assert.rejects(ds.compute({ optimizer: { disable: ['nope'] } }), /optimizer rule 'nope' does not exist/);
});

test('explain() prints the logical plan, the optimized plan and the rules that fired', () => {
  const ds = source().map(add('a', 'x', 1, 500)).filter(col('label').eq('cat')).select('id', 'x');
  const text = ds.explain();
  const opt = text.slice(text.indexOf('== Optimized plan =='), text.indexOf('== Physical plan =='));
  assert.equal(opt, [
    '== Optimized plan ==',
    'Project [id, x]',
    "  Map test.add(column='a', output='x', k=1, cost=500)",
    "    Filter label = 'cat'",
    '      fromRows 10 rows columns=[id, a, label]',
    '== Rules fired ==',
    "push-down-filter (pass 1): label = 'cat' below test.add",
    'prune-columns (pass 1): fromRows reads only id, a, label',
    '',
  ].join('\n'));
  assert.match(ds.explain({ optimizer: false }), /== Optimized plan ==\n\(optimizer: false/);
  assert.doesNotMatch(ds.explain({ optimizer: { disable: ['prune-columns'] } }), /columns=\[/);
});

test('explain() without I/O says why it cannot show the optimized plan of a CSV without a schema; the run optimizes it', async () => {
  const dir = tempDir();
  const path = join(dir, 't.csv');
  writeFileSync(path, 'id,a,label\n1,2,cat\n2,3,dog\n');
  const ds = readCsv(path).filter(col('label').eq('cat')).select('id');
  assert.match(ds.explain(), /not shown: a source needs a file read/);
  assert.deepEqual(rowsOf(await ds.compute({ workers: 0 })), [{ id: 1 }]);
});

test("split-global-op 'recompute': the statistics stage streams a second run of the input; rows are counted once", async () => {
  // A wide binary column makes caching dear and the cheap input is recomputed.
  const rows = Array.from({ length: 30 }, (_, i) => ({ a: i % 7, blob: new Uint8Array(8) }));
  const ds = fromRows(rows, { a: dt.float64(), blob: dt.binary() }).map(counted('a', 'k', 0.5)).map(center('k', 'c'));
  assert.match(ds.explain(), /Map test\.center\(column='k', output='c'\)  \[statistics stage, then row-local stage; recompute input: recompute ≈ 1\.5 µs\/row, cache ≈ 8\.2\d* µs\/row/);
  countedRows.length = 0;
  const on = await ds.compute({ workers: 0, batchSize: 7 });
  assert.equal(countedRows.length, 60, 'the input ran twice');
  assert.equal(on.report.rowsIn, 30);
  assert.equal(on.report.rowsOut, 30);
  countedRows.length = 0;
  const off = await ds.compute({ workers: 0, batchSize: 7, optimizer: false });
  assert.equal(countedRows.length, 30, 'cached: the input ran once');
  assert.deepEqual(rowsOf(on).map((r) => r.c), rowsOf(off).map((r) => r.c));
  const mean = rows.reduce((s, r) => s + r.a, 0) / rows.length;
  assert.deepEqual(rowsOf(on).map((r) => r.c), rows.map((r) => r.a - mean));
});

test('split-global-op recomputes when holding the input would pass the cache budget, however cheap a row is to hold', async () => {
  const { planGlobalStats, CACHE_BUDGET_BYTES } = await import('../../src/plan/rules/split-global-op.ts');
  const small = fromRows([{ a: 1 }], { a: dt.float64() });
  const ctx = { schemaOf: (n: PlanNode) => schemas.of(n), onError: 'fail' as const };
  assert.equal(planGlobalStats(small.plan, ctx, new Set()).mode, 'cache');
  // A source claiming enough rows: 8 B/row × rows > budget.
  const huge = { ...small.plan, source: Object.assign(Object.create(Object.getPrototypeOf((small.plan as { source: object }).source)), (small.plan as { source: object }).source, { rowCount: CACHE_BUDGET_BYTES / 8 + 1 }) } as PlanNode;
  const gs = planGlobalStats(huge, ctx, new Set());
  assert.equal(gs.mode, 'recompute');
  assert.match(gs.reason, /would pass the 1024 MiB cache budget/);
});

test('reorder-filters prefers observed selectivity over its guesses', () => {
  const { reorderFilters } = DEFAULT_RULES_BY_NAME;
  const plan = source().filter(col('a').eq(1)).filter(col('b').ne(0)).plan;
  // Guesses: a = 1 keeps 10%, b != 0 keeps 90%: a = 1 runs first (it is already first: no change).
  assert.equal(optimize(plan, schemas, { rules: [reorderFilters] }).fired.length, 0);
  // Observed: a = 1 keeps everything, b != 0 almost nothing: b != 0 runs first.
  const observed = new Map([['Filter a = 1', 1], ['Filter b != 0', 0.05]]);
  const r = optimize(plan, schemas, { rules: [reorderFilters], selectivity: observed });
  assert.deepEqual(r.fired.map((f) => f.notes), [['ran Filter b != 0 → Filter a = 1']]);
});

test('a limit pushed into a source does not cut a shard short', async () => {
  const ds = source(40).map(add('a', 'x', 1)).limit(5);
  for (const index of [0, 1, 2]) {
    const opts = { workers: 0, batchSize: 4, shard: { index, count: 3 } } as const;
    const on = rowsOf(await ds.compute(opts));
    assert.equal(on.length, 5);
    assert.deepEqual(on, rowsOf(await ds.compute({ ...opts, optimizer: false })));
  }
  assert.match(ds.explain(), /fromRows 40 rows limit=5/);
});
