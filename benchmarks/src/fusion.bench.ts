// @modaflow/ops-fusion: as-of join and interpolation of sensor streams, and the z-score filter,
// each against a straightforward plain-JS reference doing the same work in the same process.
//   node --import tsx benchmarks/src/fusion.bench.ts [streams dir]
// pandas/numpy timings of the same shapes: /usr/bin/python3 packages/ops-fusion/scripts/bench-pandas.py
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { buildData, dt, fromSource, makeChunk, readCsv, columnValues, fromArrowSchema } from '@modaflow/core';
import type { Chunk, Dataset, Schema, Source, SourceBatch } from '@modaflow/core';
import { alignAsof, asofIndices, convertTimeUnit, interpolate, zscoreFilter } from '@modaflow/ops-fusion';
import { compare, report } from './harness.ts';
import type { Comparison } from './harness.ts';

const results: Comparison[] = [];
const STREAMS = process.argv[2] ?? '/work/shared/data/streams';
const BATCH = 1024;

/** An in-memory source over typed-array columns, cut into batches of `batch` rows (zero-copy). */
function arraySource(cols: Record<string, { t: Schema[string]; v: BigInt64Array | Float64Array | Float32Array }>, batch: number): Dataset<Schema> {
  const schema: Record<string, Schema[string]> = Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, c.t]));
  const n = Object.values(cols)[0]!.v.length;
  const src: Source = {
    name: 'arrays', knownSchema: schema, rowCount: n, describe: () => `${n} rows`,
    resolveSchema: async () => schema,
    async *read(): AsyncGenerator<SourceBatch> {
      for (let s = 0; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        const ids = new Float64Array(e - s).map((_, i) => s + i);
        const data = Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, buildData(c.t, c.v.subarray(s, e) as Float64Array)]));
        yield { chunk: makeChunk(schema, data, ids) as Chunk };
      }
    },
  };
  return fromSource(src);
}

/** Irregular ns timestamps: mean period `step`, jitter ±40%, ~2% exact duplicates. */
function stamps(n: number, step: number, seed: number): BigInt64Array {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new BigInt64Array(n);
  let t = 1403715273262142976n;
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r > 0.02) t += BigInt(Math.round(step * (0.6 + 0.8 * rnd())));
    out[i] = t;
  }
  return out;
}

/** The straightforward reference: row objects, a binary search over bigint keys per left row. */
function referenceAsof(left: { t: bigint }[], right: { t: bigint; [k: string]: unknown }[], tol: bigint): Record<string, unknown>[] {
  const keys = right.map((r) => r.t);
  return left.map((l) => {
    let lo = 0, hi = keys.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (keys[m]! <= l.t) lo = m + 1; else hi = m; }
    const b = lo - 1;
    let f = b + 1;
    while (f > 0 && keys[f - 1] === l.t) f--; // forward takes the first of equal keys
    if (b >= 0 && keys[b] === l.t) f = b + 1 < keys.length && keys[b + 1] === l.t ? f : f;
    const db = b >= 0 ? l.t - keys[b]! : -1n, df = f < keys.length ? keys[f]! - l.t : -1n;
    const j = db >= 0n && (df < 0n || db <= df) ? b : df >= 0n ? f : -1;
    const ok = j >= 0 && (j === b ? db : df) <= tol;
    const { t: _t, ...rest } = ok ? right[j]! : {};
    return { ...l, ...(ok ? rest : {}) };
  });
}

/** numpy.interp by hand on number arrays. */
function referenceInterp(xt: Float64Array, xs: Float64Array, fp: Float64Array): Float64Array {
  const out = new Float64Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    const x = xt[i]!;
    let lo = 0, hi = xs.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m]! <= x) lo = m + 1; else hi = m; }
    const j = lo - 1;
    if (j < 0) out[i] = fp[0]!;
    else if (j >= xs.length - 1) out[i] = fp[xs.length - 1]!;
    else out[i] = ((fp[j + 1]! - fp[j]!) / (xs[j + 1]! - xs[j]!)) * (x - xs[j]!) + fp[j]!;
  }
  return out;
}

// 1. The real EuRoC-style streams: 300 camera frames (20 Hz) onto 3000 IMU samples (200 Hz).
if (existsSync(join(STREAMS, 'imu0.csv'))) {
  const load = async (f: string) => {
    const t = await readCsv(join(STREAMS, f)).map(convertTimeUnit({ column: '#timestamp [ns]', input: 'int64', from: 'ns', to: 'ns', output: 't' }) as never).compute();
    const s = fromArrowSchema(t.schema);
    const cols = Object.fromEntries(Object.keys(s).filter((k) => !k.startsWith('#')).map((k) => [k, columnValues(s[k]!, t.getChild(k)!)]));
    return { t, s, cols, n: t.numRows };
  };
  const imu = await load('imu0.csv'), cam = await load('cam0.csv');
  const toDs = (x: typeof imu) => arraySource(Object.fromEntries(Object.entries(x.cols).filter(([k]) => x.s[k]!.kind !== 'utf8').map(([k, v]) => [k, {
    t: x.s[k]!, v: x.s[k]!.kind === 'timestamp' ? BigInt64Array.from(v as bigint[]) : Float64Array.from(v as number[]),
  }])), BATCH);
  const imuDs = toDs(imu), camDs = toDs(cam);
  const imuRows = Array.from({ length: imu.n }, (_, i) => Object.fromEntries(Object.entries(imu.cols).map(([k, v]) => [k, v[i]]))) as { t: bigint }[];
  const camRows = Array.from({ length: cam.n }, (_, i) => ({ t: cam.cols['t']![i] as bigint }));
  results.push(await compare('asof nearest 6ms: real cam0 (300) onto imu0 (3000), engine vs reference',
    () => alignAsof(camDs, imuDs, { on: 't', direction: 'nearest', tolerance: '6ms' }).compute(),
    () => referenceAsof(camRows, imuRows, 6_000_000n), { runs: 9, extra: { leftRows: cam.n, rightRows: imu.n } }));
}

// 2. A generated 1M × 1M pair (two irregular 1 kHz-like streams), nearest within 0.5 ms.
{
  const N = 1_000_000;
  const lt = stamps(N, 1_000_000, 1), rt = stamps(N, 1_000_000, 2);
  const v = Float64Array.from({ length: N }, (_, i) => Math.sin(i / 100));
  const left = arraySource({ t: { t: dt.timestamp('ns'), v: lt } }, BATCH);
  const right = arraySource({ t: { t: dt.timestamp('ns'), v: rt }, v: { t: dt.float64(), v } }, BATCH);
  const leftRows = Array.from(lt, (t) => ({ t }));
  const rightRows = Array.from(rt, (t, i) => ({ t, v: v[i] }));
  results.push(await compare('asof nearest 0.5ms: 1M x 1M generated, engine (1024-row batches) vs reference',
    () => alignAsof(left, right, { on: 't', direction: 'nearest', tolerance: 500_000 }).compute(),
    () => referenceAsof(leftRows, rightRows, 500_000n), { runs: 5, extra: { rows: N } }));
  const lk = Float64Array.from(lt, (t) => Number(t - lt[0]!)), rk = Float64Array.from(rt, (t) => Number(t - lt[0]!));
  results.push(await compare('asof nearest 0.5ms: 1M x 1M kernel only (asofIndices on float64 offsets) vs reference',
    () => asofIndices(lk, rk, null, null, 1, 'nearest', 500_000, true),
    () => referenceAsof(leftRows, rightRows, 500_000n), { runs: 5, extra: { rows: N } }));
}

// 3. Linear interpolation of a 1 kHz stream (1M rows) at 30 Hz times (~33k rows).
{
  const N = 1_000_000;
  const st = stamps(N, 1_000_000, 3);
  const M = Math.floor(N / 33);
  const tt = stamps(M, 33_333_333, 4);
  const y = Float64Array.from({ length: N }, (_, i) => Math.cos(i / 50));
  const source = arraySource({ t: { t: dt.timestamp('ns'), v: st }, y: { t: dt.float64(), v: y } }, BATCH);
  const target = arraySource({ t: { t: dt.timestamp('ns'), v: tt } }, BATCH);
  const base = st[0]!;
  results.push(await compare('interpolate linear: 1M-row 1 kHz stream at 30 Hz times (33k), engine vs numpy.interp by hand',
    () => interpolate(target, source, { on: 't', columns: ['y'] }).compute(),
    () => referenceInterp(Float64Array.from(tt, (t) => Number(t - base)), Float64Array.from(st, (t) => Number(t - base)), y),
    { runs: 5, extra: { sourceRows: N, targetRows: M } }));
}

// 4. z-score filter over float32 values: the exact-sum statistics phase plus the filter.
{
  const N = 5_000_000;
  let s = 7;
  const x = Float32Array.from({ length: N }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s / 2 ** 32) * 10 + ((s & 1023) === 0 ? 50 : 0); });
  const ds = arraySource({ x: { t: dt.float32(), v: x } }, 65_536);
  const twoPass = () => {
    let sum = 0;
    for (let i = 0; i < N; i++) sum += x[i]!;
    const mean = sum / N;
    let ss = 0;
    for (let i = 0; i < N; i++) ss += (x[i]! - mean) ** 2;
    const std = Math.sqrt(ss / (N - 1));
    const keep: number[] = [];
    for (let i = 0; i < N; i++) if (Math.abs(x[i]! - mean) / std <= 3) keep.push(x[i]!);
    return keep;
  };
  const r = await compare('zscoreFilter: 5M float32 (65k-row batches), engine vs plain two-pass loop (float64 sums)',
    () => ds.map(zscoreFilter({ column: 'x', dtype: dt.float32() })).compute({ batchSize: 65_536 }),
    twoPass, { runs: 5 });
  results.push({ ...r, extra: { values: N, engineValuesPerSec: N / (r.contender.median / 1000), baselineValuesPerSec: N / (r.baseline.median / 1000) } });
}

report('fusion', results);
