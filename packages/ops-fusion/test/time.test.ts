import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import type { Tensor } from '@modaflow/core';
import { interpolate, windowAgg, convertTimeUnit, convertTime, parseDuration } from '../src/index.ts';
import { column } from './helpers.ts';

const TS = dt.timestamp('ns');
const V3 = dt.tensor(dt.float32(), [3]);

interface InterpGolden {
  source: { t: string[]; a: (number | null)[]; vec: number[][] };
  target: string[]; linear: number[]; vecLinear: number[][]; previous: (number | null)[]; nearest: (number | null)[];
}
const ig = JSON.parse(readFileSync(new URL('./golden/interp.json', import.meta.url), 'utf8')) as InterpGolden;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('interpolate equals numpy.interp (linear, incl. tensors) and merge_asof (previous, nearest), |Δ| ≤ 1e-12', async () => {
  const source = fromRows(ig.source.t.map((t, i) => ({ t: BigInt(t), a: ig.source.a[i]!, vec: { data: Float32Array.from(ig.source.vec[i]!), shape: [3] } })), { t: TS, a: dt.float64(), vec: V3 });
  const target = fromRows(ig.target.map((t, i) => ({ t: BigInt(t), i })), { t: TS, i: dt.int32() });
  const lin = await interpolate(target, source, { on: 't', columns: ['a', 'vec'] }).compute({ batchSize: 9 });
  (column(lin, 'a') as number[]).forEach((y, i) => close(y, ig.linear[i]!, `linear row ${i}`));
  (column(lin, 'vec') as Tensor[]).forEach((v, i) => Array.from(v.data as Float32Array).forEach((y, j) => close(y, Math.fround(ig.vecLinear[i]![j]!), `vec row ${i}`)));
  for (const method of ['previous', 'nearest'] as const) {
    const out = await interpolate(target, source, { on: 't', columns: ['a'], method }).compute();
    assert.deepEqual(column(out, 'a'), ig[method], method);
  }
  const inside = await interpolate(target, source, { on: 't', columns: ['a'], outside: 'null' }).compute();
  const lo = BigInt(ig.source.t[0]!), hi = BigInt(ig.source.t.at(-1)!);
  (column(inside, 'a') as (number | null)[]).forEach((y, i) => {
    const t = BigInt(ig.target[i]!);
    assert.equal(y === null, t < lo || t > hi, `row ${i}`);
  });
});

test('law: linear interpolation is exact on linear signals, and previous never looks ahead', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 30 }),
    fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 30 }),
    fc.integer({ min: -5, max: 5 }), fc.integer({ min: -100, max: 100 }),
    async (sk, tk, slope, icpt) => {
      const f = (t: number) => slope * t + icpt;
      const source = fromRows(sk.map((t) => ({ t: BigInt(t), y: f(t), ts: BigInt(t) })), { t: dt.timestamp('ms'), y: dt.float64(), ts: dt.int64() });
      const lo = Math.min(...sk), hi = Math.max(...sk);
      const target = fromRows(tk.map((t) => ({ t: BigInt(t) })), { t: dt.timestamp('ms') });
      const out = await interpolate(target, source, { on: 't', columns: ['y'] }).compute({ batchSize: 4 });
      (column(out, 'y') as number[]).forEach((y, i) => {
        const t = Math.min(hi, Math.max(lo, tk[i]!));
        assert.ok(Math.abs(y - f(t)) <= 1e-9 * Math.max(1, Math.abs(f(t))), `t=${tk[i]}: ${y} vs ${f(t)}`);
      });
      const prev = await interpolate(target, source, { on: 't', columns: ['ts'], method: 'previous' }).compute();
      (column(prev, 'ts') as (bigint | null)[]).forEach((s, i) => {
        if (s === null) assert.ok(tk[i]! < lo);
        else assert.ok(s <= BigInt(tk[i]!) && !sk.some((x) => x <= tk[i]! && BigInt(x) > s));
      });
    }), { numRuns: 30 });
});

interface WindowGolden { t: string[]; x: (number | null)[]; g: string[]; window: number; cases: Record<'all' | 'g', Record<'count' | 'sum' | 'mean' | 'min' | 'max', (number | null)[]>> }
const wg = JSON.parse(readFileSync(new URL('./golden/window.json', import.meta.url), 'utf8')) as WindowGolden;

test('windowAgg over [t − Δ, t] equals pandas rolling(closed="both"), globally and per group', async () => {
  const ds = fromRows(wg.t.map((t, i) => ({ t: BigInt(t), x: wg.x[i]!, g: wg.g[i]!, i })), { t: TS, x: dt.float64(), g: dt.utf8(), i: dt.int32() });
  const aggs = ['count', 'sum', 'mean', 'min', 'max'] as const;
  for (const key of ['all', 'g'] as const) {
    const out = await windowAgg(ds, { on: 't', window: `${wg.window}ns`, columns: ['x'], aggs, ...(key === 'g' ? { by: 'g' } : {}) }).compute({ batchSize: 16 });
    assert.deepEqual(column(out, 'i'), wg.t.map((_, i) => i), 'already sorted: order kept');
    for (const a of aggs) {
      const got = column(out, `x_${a}`) as (number | null)[];
      got.forEach((y, i) => {
        const want = wg.cases[key][a][i]!;
        if (want === null || y === null) assert.equal(y, want, `${key} ${a} row ${i}`);
        else close(y, want, `${key} ${a} row ${i}`);
      });
    }
  }
});

test("windowAgg late policy: 'sort' reorders by time, 'drop' drops rows older than the newest seen (counted in the report)", async () => {
  const rows = [{ t: 10n, x: 1 }, { t: 12n, x: 2 }, { t: 11n, x: 4 }, { t: 12n, x: 8 }, { t: 20n, x: 16 }];
  const ds = fromRows(rows, { t: dt.timestamp('ms'), x: dt.float64() });
  const sorted = await windowAgg(ds, { on: 't', window: 2, columns: ['x'], aggs: ['sum'] }).compute();
  assert.deepEqual(column(sorted, 't'), [10n, 11n, 12n, 12n, 20n]);
  assert.deepEqual(column(sorted, 'x_sum'), [1, 5, 7, 15, 16]);
  const dropped = await windowAgg(ds, { on: 't', window: '2ms', columns: ['x'], aggs: ['sum', 'count'], late: 'drop' }).compute();
  assert.deepEqual(column(dropped, 't'), [10n, 12n, 12n, 20n]);
  assert.deepEqual(column(dropped, 'x_sum'), [1, 3, 11, 16]);
  assert.deepEqual(column(dropped, 'x_count'), [1, 2, 3, 1]);
  const node = dropped.report.nodes.find((n) => n.name === 'fusion.window-agg')!;
  assert.equal(node.rowsIn - node.rowsOut, 1);
  assert.throws(() => windowAgg(fromRows([{ t: 1n, x: 1 }], { t: dt.int64(), x: dt.float64() }), { on: 't', window: '2ms', columns: ['x'], aggs: ['sum'] }), /has a unit but key 't' is not a timestamp/);
});

test('time units convert only when asked: exact to finer units, floor/trunc/exact to coarser ones', async () => {
  assert.equal(convertTime(1_500n, 'ms', 's'), 1n);
  assert.equal(convertTime(-1_500n, 'ms', 's', 'floor'), -2n);
  assert.equal(convertTime(-1_500n, 'ms', 's', 'trunc'), -1n);
  assert.equal(convertTime(7n, 's', 'ns'), 7_000_000_000n);
  assert.throws(() => convertTime(1_500n, 'ms', 's', 'exact'), /not a whole number of s/);
  assert.equal(parseDuration('2.5ms', 'us'), 2500n);
  assert.equal(parseDuration('100us', 'ns'), 100_000n);
  assert.throws(() => parseDuration('1.5ns', 'ns'), /not a whole number/);
  assert.throws(() => parseDuration('5 parsecs', 'ns'), /cannot read/);
  const raw = fromRows([{ t: 1403715273262142976n }, { t: null }], { t: dt.int64() });
  const ms = await raw.map(convertTimeUnit({ column: 't', input: 'int64', from: 'ns', to: 'ms' })).compute();
  assert.deepEqual(column(ms, 't'), [1403715273262n, null]);
  assert.deepEqual(ms.schema.fields[0]!.type.toString(), 'Timestamp<MILLISECOND>');
  const exact = await raw.map(convertTimeUnit({ column: 't', input: 'int64', from: 'ns', to: 'ms', rounding: 'exact' })).compute({ onError: 'skip' });
  assert.equal(exact.report.skipped, 1);
});
