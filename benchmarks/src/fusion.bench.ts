// @modaflow/ops-fusion against pandas/numpy on exactly the same data, at the issue's sizes:
//   1. the real EuRoC-style streams (300 camera frames onto 3000 IMU samples), as-of nearest;
//   2. as-of join + linear interpolation of a 1 kHz stream (10M rows) onto a 30 Hz stream;
//   3. z-score filter over 50M float32 values (with, as context, the same filter hand-written in JS).
//   node --import tsx benchmarks/src/fusion.bench.ts [streams dir]
// FUSION_SCALE=0.1 shrinks cases 2 and 3 for quick runs; FUSION_RUNS sets the timed runs (5);
// FUSION_CASES=zscore (or asof) runs only those cases, on both sides.
// The data is generated here (seeded) and written as raw little-endian files that the pandas peer
// (packages/ops-fusion/scripts/bench-pandas.py, run by this script with /usr/bin/python3) reads,
// so both sides work on the same values; each side's result checks (kept rows, checksums) are
// printed side by side. Engine figures: wall and CPU time (process.cpuUsage: every thread of the
// process, workers included) per run; "per core" = values / CPU seconds.
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { buildData, dt, fromSource, makeChunk, rowIdRange, readCsv, columnValues, fromArrowSchema, shutdownPools } from '@modaflow/core';
import type { Chunk, Dataset, Schema, Source, SourceBatch } from '@modaflow/core';

type Table = Awaited<ReturnType<Dataset<Schema>['compute']>>;
import { alignAsof, alignAsofOp, convertTimeUnit, interpolate, interpolateOp, zscoreFilter, zscoreFilterOp } from '@modaflow/ops-fusion';
import type { ZscoreFilterParams } from '@modaflow/ops-fusion';
import { summarize } from './harness.ts';
import type { Timing } from './harness.ts';

const STREAMS = process.argv[2] ?? '/work/shared/data/streams';
const SCALE = Number(process.env['FUSION_SCALE'] ?? 1);
const RUNS = Number(process.env['FUSION_RUNS'] ?? 5);
const ZN = Math.round(50_000_000 * SCALE);
const AN = Math.round(10_000_000 * SCALE);
const BATCH = 65_536;
const CASES = new Set((process.env['FUSION_CASES'] ?? 'asof,zscore').split(','));
const PEER = new URL('../../packages/ops-fusion/scripts/bench-pandas.py', import.meta.url).pathname;

type Col = { t: Schema[string]; v: BigInt64Array | Float64Array | Float32Array };

/** An in-memory source over typed-array columns, cut into batches of the run's batchSize (zero-copy views). */
function arraySource(cols: Record<string, Col>): Dataset<Schema> {
  const schema: Record<string, Schema[string]> = Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, c.t]));
  const n = Object.values(cols)[0]!.v.length;
  const src: Source = {
    name: 'arrays', knownSchema: schema, rowCount: n, describe: () => `${n} rows`,
    resolveSchema: async () => schema,
    async *read(opts): AsyncGenerator<SourceBatch> {
      // Row ids as fromArrow makes them: a described range per batch (written out only if read).
      const batch = opts.batchSize;
      for (let s = 0; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        const ids = rowIdRange(s, e - s);
        const data = Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, buildData(c.t, c.v.subarray(s, e) as Float64Array)]));
        yield { chunk: makeChunk(schema, data, ids) as Chunk };
      }
    },
  };
  return fromSource(src);
}

let seed = 1;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

/** Irregular ns timestamps: mean period `step`, jitter ±40%, ~2% exact duplicates. */
function stamps(n: number, step: number, start: bigint): BigInt64Array {
  const out = new BigInt64Array(n);
  let t = start;
  for (let i = 0; i < n; i++) {
    if (rnd() > 0.02) t += BigInt(Math.round(step * (0.6 + 0.8 * rnd())));
    out[i] = t;
  }
  return out;
}

/** Minor page faults per run: on this VM a first touch of memory costs ~14–17 µs per 4 KB page (see README). */
interface Run { wall: Timing; cpu: Timing; faults: Timing }
async function measure(fn: () => Promise<unknown>, runs = RUNS): Promise<{ run: Run; last: unknown }> {
  let last = await fn(); // warm-up
  const wall: number[] = [], cpu: number[] = [], faults: number[] = [];
  for (let i = 0; i < runs; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage(), t0 = performance.now();
    last = await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    faults.push(process.resourceUsage().minorPageFault - f0);
  }
  return { run: { wall: summarize(wall), cpu: summarize(cpu), faults: summarize(faults) }, last };
}

const dir = mkdtempSync(join(tmpdir(), 'modaflow-fusion-bench-'));
const f = (t: Timing) => `${t.median.toFixed(1)} ms (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)})`;
const pf = (t: Timing) => `page faults ${t.median.toFixed(0)} (min ${t.min.toFixed(0)}, max ${t.max.toFixed(0)})`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const lines: string[] = [`fusion benchmark ${new Date().toISOString()}  scale ${SCALE}  runs ${RUNS}  load at start ${load()}`];
const engine: Record<string, { run: Run; check: Record<string, number>; values?: number; note: string }> = {};

// ---- data, written for the peer ----
// Generated whatever the cases (the z-score values come after these from the same generator).
const asof = CASES.has('asof');
const st = stamps(AN, 1_000_000, 1403715273262142976n);
const sy = new Float64Array(AN);
for (let i = 0; i < AN; i++) sy[i] = Math.sin(i / 100) + 0.01 * rnd();
const TN = Math.floor(AN / 33);
const tt = stamps(TN, 33_333_333, 1403715273262142976n + 500_000n);
if (asof) {
  writeFileSync(join(dir, 'src_t.i64'), new Uint8Array(st.buffer));
  writeFileSync(join(dir, 'src_y.f64'), new Uint8Array(sy.buffer));
  writeFileSync(join(dir, 'tgt_t.i64'), new Uint8Array(tt.buffer));
}
const x = new Float32Array(CASES.has('zscore') ? ZN : 0);
for (let i = 0; i < x.length; i++) x[i] = rnd() * 10 + ((i & 1023) === 0 ? 50 : 0);
if (CASES.has('zscore')) writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));

// ---- 1. real streams ----
const realStreams = asof && existsSync(join(STREAMS, 'imu0.csv'));
if (realStreams) {
  const loadCsv = async (file: string) => {
    const t = await readCsv(join(STREAMS, file)).map(convertTimeUnit({ column: '#timestamp [ns]', input: 'int64', from: 'ns', to: 'ns', output: 't' }) as never).compute();
    const s = fromArrowSchema(t.schema);
    const cols: Record<string, Col> = {};
    for (const k of Object.keys(s)) {
      if (k.startsWith('#') || s[k]!.kind === 'utf8') continue;
      const v = columnValues(s[k]!, t.getChild(k)!);
      cols[k] = { t: s[k]!, v: s[k]!.kind === 'timestamp' ? BigInt64Array.from(v as bigint[]) : Float64Array.from(v as number[]) };
    }
    return cols;
  };
  const imu = arraySource(await loadCsv('imu0.csv'));
  const cam = arraySource(await loadCsv('cam0.csv'));
  const { run, last } = await measure(() => alignAsof(cam, imu, { on: 't', direction: 'nearest', tolerance: '6ms' }).compute({ batchSize: 1024 }), 9);
  const tbl = last as Table;
  const firstRight = tbl.schema.fields.find((fl) => fl.name !== 't')!.name;
  engine['asof-real'] = { run, check: { matched: tbl.numRows - tbl.getChild(firstRight)!.nullCount }, note: 'alignAsof nearest 6 ms, real cam0 (300) onto imu0 (3000)' };
}

// ---- 2. as-of + linear interpolation, 1 kHz (AN rows) onto 30 Hz (AN/33 rows) ----
if (asof) {
  const source = arraySource({ t: { t: dt.timestamp('ns'), v: st }, y: { t: dt.float64(), v: sy } });
  const target = arraySource({ t: { t: dt.timestamp('ns'), v: tt } });
  const pipeline = () => interpolate(
    alignAsof(target, source, { on: 't' }),
    source.rename({ y: 'y_lin' }),
    { on: 't', columns: ['y_lin'] },
  ).compute({ batchSize: BATCH });
  const { run, last } = await measure(pipeline);
  const tbl = last as Table;
  const sum = (k: string) => { let s = 0; for (const v of tbl.getChild(k)!) if (v !== null && !Number.isNaN(v)) s += v as number; return s; };
  engine['asof-interp'] = { run, check: { rows: tbl.numRows, sum_y: sum('y'), sum_y_lin: sum('y_lin') }, values: AN, note: `alignAsof backward + interpolate linear: ${AN} rows at 1 kHz onto ${TN} rows at 30 Hz` };
}

// 2b. The same two ops without the executor: their run() on one whole chunk per input (row ids
// made once, outside the timing) — what the ops cost, apart from reading and collecting batches.
if (asof) {
  const ids = (n: number) => { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = i; return a; };
  const S = { t: dt.timestamp('ns'), y: dt.float64() } as const;
  const src = makeChunk(S, { t: buildData(S.t, st), y: buildData(S.y, sy) }, ids(AN));
  const srcLin = makeChunk({ t: S.t, y_lin: S.y }, { t: src.columns['t']!, y_lin: src.columns['y']! }, src.rowIds);
  const tgt = makeChunk({ t: S.t }, { t: buildData(S.t, tt) }, ids(TN));
  const ctx = { signal: new AbortController().signal, seed: 0 };
  const { run, last } = await measure(async () => {
    const a = await alignAsofOp.spec.run([tgt, src], { on: 't' }, ctx) as Chunk; // (this op returns a chunk, never a TableOpResult)
    return interpolateOp.spec.run([a, srcLin], { on: 't', columns: ['y_lin'] }, ctx);
  });
  const c = last as Chunk;
  const sum = (k: string) => { const v = c.columns[k]!.values as Float64Array; let s = 0; for (let i = 0; i < c.length; i++) if (!Number.isNaN(v[i]!)) s += v[i]!; return s; };
  engine['asof-interp-ops'] = { run, check: { rows: c.length, sum_y: sum('y'), sum_y_lin: sum('y_lin') }, values: AN, note: 'the same two ops without the executor (run() on whole chunks)' };
}

// ---- 3. z-score filter ----
if (CASES.has('zscore')) {
  const ds = arraySource({ x: { t: dt.float32(), v: x } });
  for (const workers of [0, 2]) {
    const { run, last } = await measure(() => ds.map(zscoreFilter({ column: 'x', dtype: dt.float32() })).compute({ batchSize: BATCH, workers }));
    engine[`zscore-w${workers}`] = { run, check: { kept: (last as Table).numRows }, values: ZN, note: `zscoreFilter ${ZN} float32 (65k-row batches), workers: ${workers}` };
  }
  // Where workers: 'auto' runs the same plan (by the op's declared cost; explain of one run).
  const auto = ds.map(zscoreFilter({ column: 'x', dtype: dt.float32() }));
  await auto.compute({ batchSize: BATCH });
  const stage = auto.explain({ analyze: true }).split('\n').filter((l) => /^== Physical plan|^Stage |analyzed:/.test(l)).map((l) => l.trim());
  lines.push(`workers 'auto' (MODAFLOW_WORKERS ${process.env['MODAFLOW_WORKERS'] ? `= ${process.env['MODAFLOW_WORKERS']}` : 'unset'}), z-score plan: ${stage.join(' | ')}`);
  // Context: the same plan streamed, each output batch dropped once counted (no table is kept, so
  // the output's memory is reused from batch to batch instead of 200 MB staying alive per run).
  const { run, last } = await measure(async () => {
    let kept = 0;
    for await (const b of ds.map(zscoreFilter({ column: 'x', dtype: dt.float32() })).stream({ batchSize: BATCH, workers: 0 })) kept += b.numRows;
    return kept;
  });
  engine['zscore-stream'] = { run, check: { kept: last as number }, values: ZN, note: `the same, workers: 0, streamed (batches dropped once counted; context, not the bar)` };
}

// 3b. The z-score op without the executor: its statistics phase and kernel over 65k-row views of
// the array, as the executor would call them. The kernel's output is the kept rows' runs and
// their values gathered into new arrays (before 2026-11-27 10:00 UTC it was a 0/1 mask, and the
// copy of the kept rows was core's work, outside this figure).
if (CASES.has('zscore')) {
  const p: ZscoreFilterParams = { column: 'x', dtype: dt.float32() };
  const spec = zscoreFilterOp.spec;
  const schema = { x: dt.float32() };
  const input = (s: number, e: number) => {
    const d = buildData(dt.float32(), x.subarray(s, e));
    return { numRows: e - s, schema, rowIds: new Float64Array(0), data: () => d, values: () => { throw new Error('unused'); } };
  };
  const once = async (count: boolean) => {
    let acc = spec.stats!.init(p);
    for (let s = 0; s < ZN; s += BATCH) acc = spec.stats!.update(acc, input(s, Math.min(ZN, s + BATCH)), p);
    const stats = spec.stats!.finalize(acc, p);
    let kept = 0;
    const ctx = { stats } as never;
    for (let s = 0; s < ZN; s += BATCH) {
      const r = await spec.kernel(input(s, Math.min(ZN, s + BATCH)), p, ctx);
      if (!count) continue;
      // The fast path sends the kept rows' runs and values (keepScan), a mask only without runs.
      const ks = (r as { keepScan?: { kept: number } }).keepScan;
      if (ks) { kept += ks.kept; continue; }
      const k = r.keep as Uint8Array;
      for (let i = 0; i < k.length; i++) kept += k[i]!;
    }
    return kept;
  };
  const { run } = await measure(() => once(false));
  engine['zscore-ops'] = { run, check: { kept: await once(true) }, values: ZN, note: `the z-score op without the executor (statistics + kernel on ${BATCH}-row views, kept values gathered)` };
}
// 3c. Context: the hand-written JS a user could write instead, on the same array — pass 1 the
// moments with float64 accumulators, pass 2 the kept values |x − mean| ≤ 3·std copied into a fresh
// Float32Array per 65 536-row batch (subarray when fewer are kept), all kept alive like the
// engine's table (the output shape compute() produces). No exact sums, no row ids, no error
// policy, no report: a floor for any JS code that materializes its output here, not a contender.
if (CASES.has('zscore')) {
  const loop = () => {
    let s = 0, q = 0;
    for (let i = 0; i < ZN; i++) { const v = x[i]!; s += v; q += v * v; }
    const mean = s / ZN, lim = 3 * Math.sqrt(Math.max(0, (q - s * mean) / (ZN - 1)));
    const out: Float32Array[] = [];
    for (let b = 0; b < ZN; b += BATCH) {
      const e = Math.min(ZN, b + BATCH);
      const o = new Float32Array(e - b);
      let k = 0;
      for (let i = b; i < e; i++) { const v = x[i]!; if (Math.abs(v - mean) <= lim) o[k++] = v; }
      out.push(k === o.length ? o : o.subarray(0, k));
    }
    return out;
  };
  const { run, last } = await measure(async () => loop());
  engine['zscore-js'] = { run, check: { kept: (last as Float32Array[]).reduce((a, o) => a + o.length, 0) }, values: ZN, note: `context: hand-written JS on the same array (float64 moments, then kept values into a fresh Float32Array per ${BATCH}-row batch, kept alive)` };
}
await shutdownPools();
lines.push(`engine done, load ${load()}`);

// ---- the peer ----
const py = spawnSync('/usr/bin/python3', [PEER, dir, String(RUNS), realStreams ? STREAMS : '-'], { encoding: 'utf8', maxBuffer: 1 << 24 });
rmSync(dir, { recursive: true, force: true });
if (py.status !== 0) throw new Error(`bench-pandas.py failed: ${py.stderr}`);
const peer: Record<string, { wall: Timing; cpu: Timing; faults: Timing; check: Record<string, number> }> = {};
for (const l of py.stdout.trim().split('\n')) {
  const o = JSON.parse(l) as { name?: string; versions?: Record<string, string>; wall: number[]; cpu: number[]; faults: number[]; check: Record<string, number> };
  if (o.versions) { lines.push(`peer: pandas ${o.versions['pandas']}, numpy ${o.versions['numpy']}`); continue; }
  peer[o.name!] = { wall: summarize(o.wall), cpu: summarize(o.cpu), faults: summarize(o.faults), check: o.check };
}
lines.push(`peer done, load ${load()}`);

const results: unknown[] = [];
for (const [key, e] of Object.entries(engine)) {
  const p = peer[key.startsWith('zscore') ? 'zscore' : key.startsWith('asof-interp') ? 'asof-interp' : key];
  const who = key === 'zscore-js' ? 'JS loop' : 'engine';
  lines.push(`\n${e.note}`);
  lines.push(`  ${who.padEnd(6)}  wall ${f(e.run.wall)}  cpu ${f(e.run.cpu)}  ${pf(e.run.faults)}  check ${JSON.stringify(e.check)}`);
  if (e.values) {
    lines.push(`  ${who.padEnd(6)}  ${(e.values / e.run.wall.median / 1000).toFixed(1)} M values/s wall, ${(e.values / e.run.cpu.median / 1000).toFixed(1)} M values/s per core (CPU time)`);
  }
  if (p) {
    lines.push(`  pandas  wall ${f(p.wall)}  cpu ${f(p.cpu)}  ${pf(p.faults)}  check ${JSON.stringify(p.check)}`);
    lines.push(`  ratio pandas/${who}: wall ${(p.wall.median / e.run.wall.median).toFixed(2)}×, cpu ${(p.cpu.median / e.run.cpu.median).toFixed(2)}×`);
  }
  const e2e = key === 'zscore-js' ? engine['zscore-w0'] : undefined;
  if (e2e) {
    lines.push(`  engine end to end (workers: 0) / this loop: wall ${(e2e.run.wall.median / e.run.wall.median).toFixed(2)}×, cpu ${(e2e.run.cpu.median / e.run.cpu.median).toFixed(2)}× (> 1: the engine takes longer)`);
  }
  const np = key === 'zscore-w0' ? peer['zscore-numpy'] : undefined;
  if (np) {
    lines.push(`  numpy   wall ${f(np.wall)}  cpu ${f(np.cpu)}  ${pf(np.faults)}  check ${JSON.stringify(np.check)}  (context: bare ndarray, no index)`);
    lines.push(`  ratio numpy/engine: wall ${(np.wall.median / e.run.wall.median).toFixed(2)}×, cpu ${(np.cpu.median / e.run.cpu.median).toFixed(2)}×`);
  }
  results.push({ name: key, note: e.note, engine: e.run, engineCheck: e.check, peer: p ?? null, values: e.values ?? null });
}
lines.push(`\nload at end ${load()}`);
console.log(lines.join('\n'));
const out = join(import.meta.dirname, '..', 'results');
const { mkdirSync } = await import('node:fs');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fusion.json'), JSON.stringify({ suite: 'fusion', date: new Date().toISOString(), scale: SCALE, results }, null, 2));
