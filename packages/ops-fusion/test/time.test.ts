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

test('law: linear interpolation is exact on linear signals for tensor columns too, each element from its own non-NaN samples', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 30 }),
    fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 30 }),
    fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -100, max: 100 })), { minLength: 2, maxLength: 2 }),
    fc.array(fc.tuple(fc.boolean(), fc.boolean()), { maxLength: 30 }),
    async (sk, tk, lines, nanAt) => {
      // Element e follows its own line; nanAt[k][e] blanks element e of sample k (NaN).
      const f = (e: number, t: number) => lines[e]![0] * t + lines[e]![1];
      const nan = (k: number, e: number) => nanAt[k]?.[e] === true;
      const source = fromRows(sk.map((t, k) => ({ t: BigInt(t), v: { data: Float64Array.from([0, 1], (e) => (nan(k, e) ? NaN : f(e, t))), shape: [2] } })), { t: dt.timestamp('ms'), v: dt.tensor(dt.float64(), [2]) });
      const target = fromRows(tk.map((t) => ({ t: BigInt(t) })), { t: dt.timestamp('ms') });
      const out = await interpolate(target, source, { on: 't', columns: ['v'] }).compute({ batchSize: 4 });
      (column(out, 'v') as (Tensor | null)[]).forEach((v, i) => {
        // A row where no element has a sample is null (not a tensor of NaN).
        if ([0, 1].every((e) => sk.every((_, k) => nan(k, e)))) { assert.equal(v, null); return; }
        for (const e of [0, 1]) {
          const ts = sk.filter((_, k) => !nan(k, e));
          const y = (v!.data as Float64Array)[e]!;
          if (ts.length === 0) { assert.ok(Number.isNaN(y), `element ${e} has no sample: NaN`); continue; }
          const t = Math.min(Math.max(...ts), Math.max(Math.min(...ts), tk[i]!));
          assert.ok(Math.abs(y - f(e, t)) <= 1e-9 * Math.max(1, Math.abs(f(e, t))), `t=${tk[i]} element ${e}: ${y} vs ${f(e, t)}`);
        }
      });
    }), { numRuns: 30 });
});

test('NaN elements of tensor samples are skipped per element (linear, previous, nearest; clamp and null outside)', async () => {
  const V2 = dt.tensor(dt.float32(), [2]);
  const vec = (a: number, b: number) => ({ data: Float32Array.of(a, b), shape: [2] });
  // Element 0 has samples at 0, 20, 30; element 1 at 10, 30.
  const source = fromRows([
    { t: 0n, v: vec(0, NaN) }, { t: 10n, v: vec(NaN, 5) }, { t: 20n, v: vec(20, NaN) }, { t: 30n, v: vec(30, 15) },
  ], { t: dt.timestamp('ms'), v: V2 });
  const target = fromRows([-5n, 0n, 5n, 10n, 15n, 25n, 35n].map((t) => ({ t })), { t: dt.timestamp('ms') });
  const get = async (method: 'linear' | 'previous' | 'nearest', outside: 'clamp' | 'null' = 'clamp') =>
    (column(await interpolate(target, source, { on: 't', columns: ['v'], method, outside }).compute(), 'v') as (Tensor | null)[])
      .map((v) => (v === null ? null : Array.from(v.data as Float32Array)));
  //                              t = −5       0          5          10        15          25           35
  assert.deepEqual(await get('linear'), [[0, 5], [0, 5], [5, 5], [10, 5], [15, 7.5], [25, 12.5], [30, 15]]);
  assert.deepEqual(await get('linear', 'null'), [null, [0, NaN], [5, NaN], [10, 5], [15, 7.5], [25, 12.5], null]);
  assert.deepEqual(await get('previous'), [null, [0, NaN], [0, NaN], [0, 5], [0, 5], [20, 5], [30, 15]]);
  assert.deepEqual(await get('nearest'), [[0, 5], [0, 5], [0, 5], [0, 5], [20, 5], [20, 15], [30, 15]]);
  assert.deepEqual(await get('nearest', 'null'), [null, [0, NaN], [0, NaN], [0, 5], [20, 5], [20, 15], null]);
});

test('law: a float tensor column is interpolated as its elements would be as scalar columns (NaN ↔ null), for every method', async () => {
  const num = fc.oneof(fc.constant(NaN), fc.integer({ min: -1000, max: 1000 }).map((x) => x / 8));
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 20 }),
    fc.array(fc.option(fc.tuple(num, num), { nil: null, freq: 5 }), { minLength: 20, maxLength: 20 }),
    fc.array(fc.integer({ min: -20, max: 220 }), { minLength: 1, maxLength: 20 }),
    fc.constantFrom('linear', 'previous', 'nearest'), fc.constantFrom('clamp', 'null'),
    async (sk, cells, tk, method, outside) => {
      const source = fromRows(sk.map((t, k) => {
        const c = cells[k]!;
        return { t: BigInt(t), v: c && { data: Float64Array.from(c), shape: [2] }, a: c && c[0], b: c && c[1] };
      }), { t: dt.timestamp('ms'), v: dt.tensor(dt.float64(), [2]), a: dt.float64(), b: dt.float64() });
      const target = fromRows(tk.map((t) => ({ t: BigInt(t) })), { t: dt.timestamp('ms') });
      const out = await interpolate(target, source, { on: 't', columns: ['v', 'a', 'b'], method, outside }).compute();
      const a = column(out, 'a') as (number | null)[], b = column(out, 'b') as (number | null)[];
      (column(out, 'v') as (Tensor | null)[]).forEach((v, i) => {
        const want = [a[i], b[i]].map((x) => (x === null || x === undefined ? NaN : x));
        if (a[i] === null && b[i] === null) assert.equal(v, null, `row ${i}: no element has a value`);
        else assert.deepEqual(Array.from(v!.data as Float64Array), want, `row ${i}`);
      });
    }), { numRuns: 60 });
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

test("windowAgg late policy: 'sort' reorders by time, 'drop' drops rows older than the newest seen (counted as filtered)", async () => {
  const rows = [{ t: 10n, x: 1 }, { t: 12n, x: 2 }, { t: 11n, x: 4 }, { t: 12n, x: 8 }, { t: 20n, x: 16 }];
  const ds = fromRows(rows, { t: dt.timestamp('ms'), x: dt.float64() });
  const sorted = await windowAgg(ds, { on: 't', window: 2, columns: ['x'], aggs: ['sum'] }).compute();
  assert.deepEqual(column(sorted, 't'), [10n, 11n, 12n, 12n, 20n]);
  assert.deepEqual(column(sorted, 'x_sum'), [1, 5, 7, 15, 16]);
  assert.equal(sorted.report.filtered, 0);
  const plan = windowAgg(ds, { on: 't', window: '2ms', columns: ['x'], aggs: ['sum', 'count'], late: 'drop' });
  const dropped = await plan.compute();
  assert.deepEqual(column(dropped, 't'), [10n, 12n, 12n, 20n]);
  assert.deepEqual(column(dropped, 'x_sum'), [1, 3, 11, 16]);
  assert.deepEqual(column(dropped, 'x_count'), [1, 2, 3, 1]);
  assert.deepEqual(dropped.schema.fields.map((f) => f.name), ['t', 'x', 'x_sum', 'x_count']);
  assert.equal(dropped.report.filtered, 1, 'the late row is counted, not only implied by rows in − out');
  assert.equal(dropped.report.rowsIn, dropped.report.rowsOut + dropped.report.filtered);
  assert.match(plan.explain({ analyze: true }), /fusion\.window-agg\([^)]*\)\s+\[rows 5 → 4/);
  assert.throws(() => windowAgg(fromRows([{ t: 1n, x: 1 }], { t: dt.int64(), x: dt.float64() }), { on: 't', window: '2ms', columns: ['x'], aggs: ['sum'] }), /has a unit but key 't' is not a timestamp/);
});

test('windowAgg: a missing group column is a clear error', () => {
  const ds = fromRows([{ t: 10n, x: 1 }], { t: dt.timestamp('ms'), x: dt.float64() });
  assert.throws(() => windowAgg(ds, { on: 't', window: 2, columns: ['x'], aggs: ['sum'], by: 'dev' as 't' }), /no group column 'dev'/);
});

test("windowAgg late: 'drop' keeps a watermark per by group: interleaved devices do not make each other late", async () => {
  // Device b runs ahead of device a; every row is in order within its own device.
  const rows = [{ t: 100n, dev: 'b', x: 1 }, { t: 10n, dev: 'a', x: 2 }, { t: 11n, dev: 'a', x: 4 }, { t: 101n, dev: 'b', x: 8 }, { t: 9n, dev: 'a', x: 16 }];
  const ds = fromRows(rows, { t: dt.timestamp('ms'), dev: dt.utf8(), x: dt.float64() });
  const out = await windowAgg(ds, { on: 't', window: 5, columns: ['x'], aggs: ['sum'], by: 'dev', late: 'drop' }).compute();
  assert.deepEqual(column(out, 't'), [100n, 10n, 11n, 101n], 'only a\'s 9 (after a\'s 11) is late');
  assert.deepEqual(column(out, 'x_sum'), [1, 2, 6, 9]);
  assert.equal(out.report.filtered, 1);
  const global = await windowAgg(ds, { on: 't', window: 5, columns: ['x'], aggs: ['sum'], late: 'drop' }).compute();
  assert.deepEqual(column(global, 't'), [100n, 101n], 'without by the watermark is global');
  assert.equal(global.report.filtered, 3);
});

test("law: with rows in order within each group, late: 'drop' drops nothing for any interleaving, and equals 'sort' per group", async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 60 }),
    fc.integer({ min: 0, max: 10 }),
    async (steps, picks, window) => {
      // Group g's times are the running sums of its steps (non-decreasing); picks interleave them.
      const queues = steps.map((st, g) => { let t = 0; return st.map((d, k) => ({ t: BigInt((t += d)), dev: `d${g}`, x: g * 100 + k })); });
      const rows: { t: bigint; dev: string; x: number }[] = [];
      let p = 0;
      while (queues.some((q) => q.length)) {
        const live = queues.filter((q) => q.length);
        rows.push(live[(picks[p++] ?? 0) % live.length]!.shift()!);
      }
      const ds = fromRows(rows, { t: dt.timestamp('ms'), dev: dt.utf8(), x: dt.float64() });
      const p0 = { on: 't', window, columns: ['x'], aggs: ['sum', 'count'], by: 'dev' } as const;
      const dropped = await windowAgg(ds, { ...p0, late: 'drop' }).compute({ batchSize: 7 });
      assert.equal(dropped.report.filtered, 0);
      assert.deepEqual(column(dropped, 'x'), rows.map((r) => r.x), 'arrival order kept');
      // 'sort' gives the same aggregates per row, only in time order.
      const sorted = await windowAgg(ds, p0).compute();
      const byX = new Map((column(sorted, 'x') as number[]).map((x, i) => [x, [column(sorted, 'x_sum')[i], column(sorted, 'x_count')[i]]]));
      (column(dropped, 'x') as number[]).forEach((x, i) => assert.deepEqual([column(dropped, 'x_sum')[i], column(dropped, 'x_count')[i]], byX.get(x), `x=${x}`));
    }), { numRuns: 40 });
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
