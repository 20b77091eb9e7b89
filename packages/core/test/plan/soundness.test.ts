// Soundness law of the optimizer: for random plans (DAGs with shared nodes) built from the test op
// library — row-local maps, filters, filtering ops, a non-deterministic op, a global op, an op with
// side effects, an op that rejects rows, limits, selects, renames, unions, joins — over random
// data, the optimized plan returns exactly the rows of the unoptimized plan, in the same order
// (the in-process executor keeps order, so order is part of the law). Under 'fail', when the
// unoptimized run succeeds the optimized run must too (the converse need not hold: an optimized
// run may skip work on rows the result does not need).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { col, dt, fromRows } from '../../src/index.ts';
import type { Dataset, Schema } from '../../src/index.ts';
import { optimize } from '../../src/plan/optimizer.ts';
import { PlanSchemas } from '../../src/plan/rule.ts';
import { resolveSchemas } from '../../src/plan/logical-plan.ts';
import { runRows, text } from './helpers.ts';
import { add, batchPos, center, keepMod, rejectZero, scale, tap } from './test-ops.ts';

type Step =
  | { k: 'add'; c: number; replace: boolean; v: number; cost: number }
  | { k: 'scale'; c: number; v: number }
  | { k: 'filter'; c: number; op: 'gt' | 'lt' | 'eq' | 'ne'; v: number; c2: number; op2: 'gt' | 'lt' | 'eq' | 'ne' | null }
  | { k: 'label'; v: string }
  | { k: 'keepMod'; c: number; m: number; cost: number }
  | { k: 'batchPos' }
  | { k: 'center'; c: number }
  | { k: 'limit'; n: number; offset: number }
  | { k: 'select'; mask: number }
  | { k: 'withColumn'; c: number; replace: boolean }
  | { k: 'rename'; c: number }
  | { k: 'tap'; c: number }
  | { k: 'reject'; c: number }
  | { k: 'union'; c: number; v: number }
  | { k: 'twice'; c: number }
  | { k: 'join' };

const cmp = fc.constantFrom('gt' as const, 'lt' as const, 'eq' as const, 'ne' as const);
const idx = fc.nat(20);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('add' as const), c: idx, replace: fc.boolean(), v: fc.integer({ min: -2, max: 2 }), cost: fc.constantFrom(0.1, 1, 100) }),
  fc.record({ k: fc.constant('scale' as const), c: idx, v: fc.constantFrom(-1, 2, 3) }),
  fc.record({ k: fc.constant('filter' as const), c: idx, op: cmp, v: fc.integer({ min: -3, max: 3 }), c2: idx, op2: fc.option(cmp, { nil: null }) }),
  fc.record({ k: fc.constant('label' as const), v: fc.constantFrom('cat', 'dog') }),
  fc.record({ k: fc.constant('keepMod' as const), c: idx, m: fc.integer({ min: 2, max: 3 }), cost: fc.constantFrom(0.01, 50) }),
  fc.record({ k: fc.constant('batchPos' as const) }),
  fc.record({ k: fc.constant('center' as const), c: idx }),
  fc.record({ k: fc.constant('limit' as const), n: fc.nat(12), offset: fc.nat(3) }),
  fc.record({ k: fc.constant('select' as const), mask: fc.nat(255) }),
  fc.record({ k: fc.constant('withColumn' as const), c: idx, replace: fc.boolean() }),
  fc.record({ k: fc.constant('rename' as const), c: idx }),
  fc.record({ k: fc.constant('tap' as const), c: idx }),
  fc.record({ k: fc.constant('reject' as const), c: idx }),
  fc.record({ k: fc.constant('union' as const), c: idx, v: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ k: fc.constant('twice' as const), c: idx }),
  fc.record({ k: fc.constant('join' as const) }),
);

const rowArb = fc.record({
  a: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
  b: fc.integer({ min: 0, max: 3 }),
  label: fc.option(fc.constantFrom('cat', 'dog'), { nil: null }),
});

interface State { ds: Dataset<Schema>; cols: { name: string; num: boolean }[] }

/** Builds a plan from steps; column picks are taken modulo the current columns, so every step applies. */
function build(rows: { a: number | null; b: number; label: string | null }[], steps: readonly Step[]): Dataset<Schema> {
  let fresh = 0;
  const name = () => `c${fresh++}`;
  const src = fromRows(rows.map((r, id) => ({ id, ...r })), { id: dt.float64(), a: dt.float64(), b: dt.float64(), label: dt.utf8() }) as unknown as Dataset<Schema>;
  let st: State = { ds: src, cols: [{ name: 'id', num: true }, { name: 'a', num: true }, { name: 'b', num: true }, { name: 'label', num: false }] };
  const nums = () => st.cols.filter((c) => c.num).map((c) => c.name);
  const pick = (i: number) => { const n = nums(); return n.length ? n[i % n.length]! : null; };
  const M = (ds: Dataset<any>) => ds as Dataset<Schema>;
  const added = (n: string) => [...st.cols.filter((c) => c.name !== n), { name: n, num: true }];
  for (const s of steps) {
    const c = 'c' in s ? pick(s.c) : null;
    switch (s.k) {
      case 'add': {
        if (!c) break;
        const out = s.replace ? c : name();
        st = { ds: M(st.ds.map(add(c, out, s.v, s.cost) as never)), cols: added(out) };
        break;
      }
      case 'scale': if (c) st = { ds: M(st.ds.map(scale(c, s.v) as never)), cols: added(c) }; break;
      case 'filter': {
        if (!c) break;
        let p = col(c)[s.op](s.v);
        const c2 = pick(s.c2);
        if (s.op2 && c2) p = p.and(col(c2)[s.op2](s.v));
        st = { ...st, ds: st.ds.filter(p as never) };
        break;
      }
      case 'label': if (st.cols.some((x) => x.name === 'label')) st = { ...st, ds: st.ds.filter(col('label').eq(s.v) as never) }; break;
      case 'keepMod': if (c) st = { ...st, ds: M(st.ds.map(keepMod(c, s.m, 0, { cost: s.cost }) as never)) }; break;
      case 'batchPos': { const out = name(); st = { ds: M(st.ds.map(batchPos(out) as never)), cols: added(out) }; break; }
      case 'center': { if (!c) break; const out = name(); st = { ds: M(st.ds.map(center(c, out) as never)), cols: added(out) }; break; }
      case 'limit': st = { ...st, ds: st.ds.limit(s.n, s.offset) }; break;
      case 'select': {
        const keep = st.cols.filter((_, i) => (s.mask >> i) & 1);
        if (keep.length === 0) break;
        st = { ds: st.ds.select(...(keep.map((x) => x.name) as never[])), cols: keep };
        break;
      }
      case 'withColumn': {
        if (!c) break;
        const out = s.replace ? c : name();
        // In place when the name exists: the column keeps its position.
        const cols = st.cols.some((x) => x.name === out) ? st.cols : [...st.cols, { name: out, num: true }];
        st = { ds: M(st.ds.withColumn(out, col(c).add(1) as never)), cols };
        break;
      }
      case 'rename': {
        if (!c) break;
        const out = name();
        st = { ds: M(st.ds.rename({ [c]: out } as never)), cols: st.cols.map((x) => (x.name === c ? { ...x, name: out } : x)) };
        break;
      }
      case 'tap': { if (!c) break; const out = name(); st = { ds: M(st.ds.map(tap(c, out) as never)), cols: added(out) }; break; }
      case 'reject': { if (!c) break; const out = name(); st = { ds: M(st.ds.map(rejectZero(c, out) as never)), cols: added(out) }; break; }
      case 'union': if (c) st = { ...st, ds: st.ds.union(st.ds.filter(col(c).gt(s.v) as never)) }; break;
      case 'twice': {
        if (!c) break;
        const out = name();
        const one = () => M(st.ds.map(add(c, out, 1) as never));
        st = { ds: one().union(one()), cols: added(out) };
        break;
      }
      case 'join': {
        if (!st.cols.some((x) => x.name === 'b' && x.num)) break;
        const w = name();
        const right = fromRows([{ b: 0, [w]: 10 }, { b: 1, [w]: 11 }, { b: 1, [w]: 12 }], { b: dt.float64(), [w]: dt.float64() }) as unknown as Dataset<Schema>;
        st = { ds: st.ds.join(right, { on: 'b' as never }) as unknown as Dataset<Schema>, cols: [...st.cols, { name: w, num: true }] };
        break;
      }
    }
  }
  return st.ds;
}

async function attempt(plan: Parameters<typeof runRows>[0], opts: Parameters<typeof runRows>[1]) {
  try { return { rows: await runRows(plan, opts) }; } catch (e) { return { error: e as Error }; }
}

for (const onError of ['fail', 'skip'] as const) {
  test(`law (${onError}): optimized plan ≡ plan, in order, on random DAGs; the optimizer reaches a fixed point`, async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(rowArb, { maxLength: 25 }), fc.array(stepArb, { maxLength: 9 }), fc.integer({ min: 1, max: 6 }),
      async (rows, steps, batchSize) => {
        const ds = build(rows, steps);
        const r = optimize(ds.plan, PlanSchemas.fromResolved(await resolveSchemas(ds.plan)), { onError });
        assert.ok(r.fixedPoint, `no fixed point after ${r.passes} passes`);
        const want = await attempt(ds.plan, { batchSize, onError });
        const got = await attempt(r.plan, { batchSize, onError });
        if (want.error) return; // under 'fail' the optimized run may succeed where the original failed
        assert.ok(!got.error, `optimized run failed: ${got.error?.message}\n${text(r.plan)}`);
        assert.deepEqual(got.rows, want.rows, `before:\n${text(ds.plan)}\nafter:\n${text(r.plan)}`);
      },
    ), { numRuns: 200 });
  });
}
