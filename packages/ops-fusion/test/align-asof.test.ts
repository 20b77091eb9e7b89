import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { dt, dtypeToString, fromRows } from '@modaflow/core';
import type { Dataset, DType, ModaflowError, Schema } from '@modaflow/core';
import { alignAsof, asofIndices, interpolate } from '../src/index.ts';
import type { AsofDirection } from '../src/index.ts';
import { column } from './helpers.ts';

interface Golden {
  groups: {
    seed: number;
    left: { t: string[]; g: string[] };
    right: { t: string[]; g: string[]; v: (number | null)[] };
    cases: { direction: AsofDirection; tolerance: number | null; allowExactMatches: boolean; by: string | null; rid: (number | null)[] }[];
  }[];
  floatKeys: { left: number[]; right: number[]; tolerance: number; rid: Record<AsofDirection, (number | null)[]> };
}
const golden = JSON.parse(readFileSync(new URL('./golden/asof.json', import.meta.url), 'utf8')) as Golden;

const S_LEFT = { t: dt.int64(), g: dt.utf8(), lid: dt.int32() };
const S_RIGHT = { t: dt.int64(), g: dt.utf8(), rid: dt.int32(), v: dt.float64() };

test('alignAsof equals pandas.merge_asof on generated irregular streams (ties, duplicates, nulls, groups, tolerance edges)', async () => {
  let n = 0;
  for (const g of golden.groups) {
    const left = fromRows(g.left.t.map((t, i) => ({ t: BigInt(t), g: g.left.g[i]!, lid: i })), S_LEFT);
    const right = fromRows(g.right.t.map((t, i) => ({ t: BigInt(t), g: g.right.g[i]!, rid: i, v: g.right.v[i]! })), S_RIGHT);
    const rightNoGroup = fromRows(g.right.t.map((t, i) => ({ t: BigInt(t), rid: i, v: g.right.v[i]! })), { t: dt.int64(), rid: dt.int32(), v: dt.float64() });
    for (const c of g.cases) {
      const opts = {
        on: 't' as const, direction: c.direction, allowExactMatches: c.allowExactMatches,
        ...(c.tolerance !== null ? { tolerance: c.tolerance } : {}),
      };
      const out = c.by
        ? await alignAsof(left, right, { ...opts, by: 'g' }).compute({ batchSize: 16 })
        : await alignAsof(left, rightNoGroup, opts).compute({ batchSize: 16 });
      const what = `seed ${g.seed} ${JSON.stringify(c)}`;
      assert.deepEqual(column(out, 'rid'), c.rid, what);
      assert.deepEqual(column(out, 'v'), c.rid.map((r) => (r === null ? null : g.right.v[r])), what);
      assert.deepEqual(column(out, 'lid'), g.left.t.map((_, i) => i), what);
      n++;
    }
  }
  assert.ok(n >= 100);
});

test('alignAsof on float keys with a float tolerance equals pandas', async () => {
  const f = golden.floatKeys;
  const left = fromRows(f.left.map((x) => ({ x })), { x: dt.float64() });
  const right = fromRows(f.right.map((x, i) => ({ x, rid: i })), { x: dt.float64(), rid: dt.int32() });
  for (const d of ['backward', 'forward', 'nearest'] as const) {
    const out = await alignAsof(left, right, { on: 'x', direction: d, tolerance: f.tolerance }).compute();
    assert.deepEqual(column(out, 'rid'), f.rid[d], d);
  }
});

test('timestamp keys take tolerances with units; mismatched units are refused with a fix', async () => {
  const g = golden.groups[0]!;
  const c = g.cases.find((x) => x.tolerance !== null && x.tolerance > 0 && !x.by && x.direction === 'nearest')!;
  const ts = dt.timestamp('ns');
  const left = fromRows(g.left.t.map((t) => ({ t: BigInt(t) })), { t: ts });
  const right = fromRows(g.right.t.map((t, i) => ({ t: BigInt(t), rid: i })), { t: ts, rid: dt.int32() });
  const out = await alignAsof(left, right, { on: 't', direction: 'nearest', allowExactMatches: c.allowExactMatches, tolerance: `${c.tolerance}ns`, rightKeyAs: 't_right' }).compute();
  assert.deepEqual(column(out, 'rid'), c.rid);
  assert.deepEqual(column(out, 't_right'), c.rid.map((r) => (r === null ? null : BigInt(g.right.t[r]!))));
  const rightUs = fromRows([{ t: 1n, rid: 0 }], { t: dt.timestamp('us'), rid: dt.int32() });
  assert.throws(() => alignAsof(left, rightUs, { on: 't' }), /convertTimeUnit/);
  const clash = fromRows([{ t: 1n, lid: 0 }], { t: ts, lid: dt.int32() });
  const left2 = fromRows([{ t: 1n, lid: 0 }], { t: ts, lid: dt.int32() });
  assert.throws(() => alignAsof(left2, clash, { on: 't' }), /exists on both sides.*rename/);
  const withNull = fromRows([{ t: null, rid: 0 }], { t: ts, rid: dt.int32() });
  await assert.rejects(alignAsof(left, withNull, { on: 't' }).compute(), /null.*isNotNull/);
});

test('key dtypes are checked when the plan is built (alignAsof and interpolate): the pairs the key reader takes run, the others are refused naming op, column, both dtypes and the conversion', async () => {
  const KINDS: [DType, (x: number) => unknown][] = [
    [dt.timestamp('ns'), BigInt], [dt.timestamp('us'), BigInt], [dt.int64(), BigInt], [dt.uint64(), BigInt],
    [dt.int32(), Number], [dt.uint8(), Number], [dt.float32(), Number], [dt.float64(), Number], [dt.utf8(), String],
  ];
  // What the run-time key reader puts on one scale: one timestamp unit, 64-bit integers, or narrower numbers.
  const scale = (t: DType) => (t.kind === 'timestamp' ? `ts-${t.unit}` : t.kind === 'int64' || t.kind === 'uint64' ? 'i64' : t.kind === 'utf8' ? null : 'f64');
  const ops = [
    { op: 'fusion.align-asof', sides: ['left', 'right'], make: (l: Dataset<Schema>, r: Dataset<Schema>) => alignAsof(l, r, { on: 't' }), want: [0, 1.5, 3] },
    { op: 'fusion.interpolate', sides: ['target', 'source'], make: (l: Dataset<Schema>, r: Dataset<Schema>) => interpolate(l, r, { on: 't', columns: ['v'] }), want: [0.75, 2.25, 3] },
  ];
  let ran = 0, refused = 0;
  for (const [lt, lf] of KINDS) {
    for (const [rt, rf] of KINDS) {
      const left = fromRows([1, 3, 5].map((t) => ({ t: lf(t) })), { t: lt }) as unknown as Dataset<Schema>;
      const right = fromRows([0, 2, 4].map((t, i) => ({ t: rf(t), v: i * 1.5 })), { t: rt, v: dt.float64() }) as unknown as Dataset<Schema>;
      const pair = `${dtypeToString(lt)} / ${dtypeToString(rt)}`;
      for (const o of ops) {
        if (scale(lt) !== null && scale(lt) === scale(rt)) {
          assert.deepEqual(column(await o.make(left, right).compute(), 'v'), o.want, `${o.op} ${pair}`);
          ran++;
          continue;
        }
        assert.throws(() => o.make(left, right), (e: unknown) => {
          const err = e as ModaflowError;
          assert.equal(err.code, 'MF_DTYPE_MISMATCH', pair);
          assert.equal(err.op, o.op, pair);
          assert.equal(err.column, 't', pair);
          // Both dtypes are named, or (a key that is no number at all) the one at fault and its side.
          const bad = [lt, rt].filter((t) => scale(t) === null);
          if (bad.length === 0) for (const t of [lt, rt]) assert.ok(err.message.includes(dtypeToString(t)), `${pair}: ${err.message}`);
          else assert.match(err.message, new RegExp(`is ${dtypeToString(bad[0]!)} on the (${o.sides.join('|')})`), pair);
          assert.match(err.fix ?? '', bad.length === 0 && (lt.kind === 'timestamp' || rt.kind === 'timestamp') ? /convertTimeUnit/ : /cast/, `${pair}: ${err.fix}`);
          return true;
        }, `${o.op} ${pair}`);
        refused++;
      }
    }
  }
  assert.equal(ran + refused, KINDS.length * KINDS.length * 2);
  assert.ok(ran >= 2 * 22 && refused >= 2 * 50, `${ran} ran, ${refused} refused`);
});

test('keys spanning more than 2^52 units stay exact (bigint path)', async () => {
  const big = 2n ** 62n;
  const left = fromRows([{ t: 0n }, { t: big }, { t: big + 1n }], { t: dt.int64() });
  const right = fromRows([{ t: 1n, rid: 0 }, { t: big - 1n, rid: 1 }, { t: big + 1n, rid: 2 }], { t: dt.int64(), rid: dt.int32() });
  const rid = async (direction: 'backward' | 'forward' | 'nearest', tolerance?: number) =>
    column(await alignAsof(left, right, { on: 't', direction, ...(tolerance !== undefined ? { tolerance } : {}) }).compute(), 'rid');
  assert.deepEqual(await rid('backward'), [null, 1, 2]);
  assert.deepEqual(await rid('forward'), [0, 2, 2]);
  assert.deepEqual(await rid('nearest', 0), [null, null, 2]);
});

test('uint64 keys of 2^63 and more keep their order on the bigint path (they wrapped negative); beside int64 keys they are refused', async () => {
  const h = 2n ** 63n;
  const left = fromRows([{ t: 5n }, { t: h - 1n }, { t: h + 3n }, { t: 2n ** 64n - 1n }], { t: dt.uint64() });
  const right = fromRows([{ t: 1n, rid: 0 }, { t: h + 1n, rid: 1 }, { t: 2n ** 64n - 2n, rid: 2 }], { t: dt.uint64(), rid: dt.int32() });
  const rid = async (direction: 'backward' | 'forward' | 'nearest', tolerance?: bigint) =>
    column(await alignAsof(left, right, { on: 't', direction, ...(tolerance !== undefined ? { tolerance } : {}) }).compute(), 'rid');
  assert.deepEqual(await rid('backward'), [0, 0, 1, 2]);
  assert.deepEqual(await rid('forward'), [1, 1, 2, null]);
  assert.deepEqual(await rid('nearest'), [0, 1, 1, 2]);
  assert.deepEqual(await rid('backward', 2n), [null, null, 1, 2]);
  const signed = fromRows([{ t: -1n, rid: 0 }, { t: 2n ** 62n, rid: 1 }], { t: dt.int64(), rid: dt.int32() });
  await assert.rejects(alignAsof(left, signed, { on: 't' }).compute(), (e: ModaflowError) => e.op === 'fusion.align-asof' && e.column === 't' && /2\^63 or more beside int64/.test(e.message));
});

/** The obviously-correct O(n·m) reference. */
function bruteForce(lk: number[], rk: number[], lg: number[], rg: number[], dir: AsofDirection, tol: number, exact: boolean): number[] {
  return lk.map((x, i) => {
    let b = -1, f = -1;
    rk.forEach((y, j) => {
      if (rg[j] !== lg[i]) return;
      if ((exact ? y <= x : y < x) && x - y <= tol && (b < 0 || y >= rk[b]!)) b = j;
      if ((exact ? y >= x : y > x) && y - x <= tol && (f < 0 || y < rk[f]!)) f = j;
    });
    if (dir === 'backward') return b;
    if (dir === 'forward') return f;
    if (b >= 0 && f >= 0) return x - rk[b]! <= rk[f]! - x ? b : f;
    return b >= 0 ? b : f;
  });
}

const streamArb = fc.record({
  lk: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
  rk: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
  groups: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer(),
  dir: fc.constantFrom<AsofDirection>('backward', 'forward', 'nearest'),
  tol: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 10 })),
  exact: fc.boolean(),
});

test('law: asofIndices equals a brute-force reference (any order, ties, groups, tolerance)', () => {
  fc.assert(fc.property(streamArb, ({ lk, rk, groups, seed, dir, tol, exact }) => {
    const mod = (x: number) => ((x % groups) + groups) % groups;
    const lg = lk.map((_, i) => mod(i * 7 + seed));
    const rg = rk.map((_, i) => mod(i * 5 + seed));
    const got = asofIndices(Float64Array.from(lk), Float64Array.from(rk), Int32Array.from(lg), Int32Array.from(rg), groups, dir, tol, exact);
    assert.deepEqual(Array.from(got), bruteForce(lk, rk, lg, rg, dir, tol, exact));
  }), { numRuns: 300 });
});

test('law: every direction keeps to its side and the tolerance, nearest finds no closer key (a tie goes backward), a row is unmatched only when no key qualifies, and matched times are monotone in left time per group', async () => {
  await fc.assert(fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), async ({ lk, rk: rk0, groups, seed, dir, tol, exact }, batchSize, useBy, sortRight) => {
    // A sorted right side takes the one-pass merge path (without `by`), an unsorted one the general path.
    const rk = sortRight ? [...rk0].sort((a, b) => a - b) : rk0;
    const nG = useBy ? groups : 1;
    const mod = (x: number) => ((x % nG) + nG) % nG;
    const sortedL = [...lk].sort((a, b) => a - b);
    const left = fromRows(sortedL.map((t, i) => ({ t: BigInt(t), g: mod(i * 7 + seed) })), { t: dt.timestamp('ms'), g: dt.int32() });
    const rg = rk.map((_, j) => mod(j * 5 + seed));
    // rgCopy: the matched right row's group, as the output shows it (`by` columns are not repeated).
    const right = fromRows(rk.map((t, j) => ({ t: BigInt(t), g: rg[j]!, rgCopy: rg[j]! })), { t: dt.timestamp('ms'), g: dt.int32(), rgCopy: dt.int32() });
    const opts = { on: 't' as const, direction: dir, allowExactMatches: exact, rightKeyAs: 'tr', ...(useBy ? { by: 'g' as const } : {}), ...(tol === Infinity ? {} : { tolerance: tol }) };
    const out = await alignAsof(left as unknown as Dataset<Schema>, (useBy ? right : right.drop('g')) as unknown as Dataset<Schema>, opts).compute({ batchSize });
    const t = (column(out, 't') as bigint[]).map(Number), g = column(out, 'g') as number[];
    const tr = column(out, 'tr') as (bigint | null)[], mg = column(out, 'rgCopy') as (number | null)[];
    // The keys a row may match: its group, its side (strictly with allowExactMatches false), within tolerance.
    const allowed = (x: number, grp: number, y: number, j: number) => (!useBy || rg[j] === grp) && (exact || y !== x) && Math.abs(x - y) <= tol
      && (dir === 'backward' ? y <= x : dir === 'forward' ? y >= x : true);
    const last = new Map<number, number>();
    t.forEach((x, i) => {
      const cands = rk.filter((y, j) => allowed(x, g[i]!, y, j));
      const got = tr[i];
      if (got === null || got === undefined) {
        assert.deepEqual(cands, [], `row ${i} (t ${x}) unmatched though keys qualify`);
        return;
      }
      const y = Number(got);
      assert.ok(rk.some((k, j) => k === y && allowed(x, g[i]!, k, j)), `row ${i}: matched ${y} is not an allowed key`);
      if (useBy) assert.equal(mg[i], g[i], `row ${i}: matched another group`);
      // backward: the last allowed key; forward: the first; nearest: the closest, a tie backward.
      const best = dir === 'backward' ? Math.max(...cands) : dir === 'forward' ? Math.min(...cands)
        : cands.reduce((b, c) => (Math.abs(x - c) < Math.abs(x - b) || (Math.abs(x - c) === Math.abs(x - b) && c < b) ? c : b));
      assert.equal(y, best, `row ${i} (t ${x}): ${dir} matched ${y}, want ${best}`);
      // Monotone per group. Not for nearest without exact matches: excluding x itself can move the
      // match back (keys 4, 5, 6: t = 4 takes 5, t = 5 ties 4 and 6 and takes 4).
      if (dir !== 'nearest' || exact) {
        const prev = last.get(g[i]!);
        if (prev !== undefined) assert.ok(y >= prev, `row ${i}: ${y} after ${prev} in group ${g[i]}`);
        last.set(g[i]!, y);
      }
    });
  }), { numRuns: 150 });
});

test('law: an unsorted left gives, row for row, what its sorted version gives', async () => {
  await fc.assert(fc.asyncProperty(streamArb, async ({ lk, rk, dir, tol }) => {
    const right = fromRows(rk.map((t, i) => ({ t, rid: i })), { t: dt.int32(), rid: dt.int32() });
    const opts = { on: 't' as const, direction: dir, ...(tol === Infinity ? {} : { tolerance: tol }) };
    const shuffled = column(await alignAsof(fromRows(lk.map((t) => ({ t })), { t: dt.int32() }), right, { ...opts, rightKeyAs: 'tr' }).compute(), 'tr');
    const order = lk.map((_, i) => i).sort((a, b) => lk[a]! - lk[b]! || a - b);
    const sorted = column(await alignAsof(fromRows(order.map((i) => ({ t: lk[i]! })), { t: dt.int32() }), right, { ...opts, rightKeyAs: 'tr' }).compute(), 'tr');
    order.forEach((i, k) => assert.equal(shuffled[i], sorted[k]));
  }), { numRuns: 40 });
});
