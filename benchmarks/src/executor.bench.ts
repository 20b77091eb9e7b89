// The executor: dispatch overhead per batch on the worker pool, CPU-bound throughput on 2 workers
// against in-process (and the machine's ceiling for it: bare threads), and the engine against a
// hand-written loop doing the same arithmetic. Ops
// come from the executor test-ops module, which workers can import (a bench file cannot be: it
// would run the benchmark again inside each worker).
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromArrow, fromSource, makeChunk, buildData, dt, rowIdRange } from '@modaflow/core';
import type { Float64, Source, SourceBatch, SourceReadOptions } from '@modaflow/core';
import { shutdownPools } from '../../packages/core/src/exec/pool/pool.ts';
import type { ProgressEvent } from '../../packages/core/src/exec/pool/progress.ts';
import { affine, spin } from '../../packages/core/test/exec/test-ops.ts';
import { compare, report, summarize } from './harness.ts';
import type { Comparison } from './harness.ts';

type XS = { x: Float64 };

const results: Comparison[] = [];

/** A source that builds fresh buffers for every batch, with row ids as a range (as fromRows does). */
function freshSource(batches: number, rows: number): Source & { freshBatches: true } {
  const schema = { x: dt.float64() };
  return {
    name: 'fresh', freshBatches: true, knownSchema: schema, rowCount: batches * rows, describe: () => `${batches} × ${rows}`,
    resolveSchema: async () => schema,
    async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
      for (let b = 0; b < batches; b++) {
        const x = new Float64Array(rows);
        for (let i = 0; i < rows; i++) x[i] = (b * rows + i) * 0.001;
        yield { chunk: makeChunk(schema, { x: buildData(dt.float64(), x) }, rowIdRange(b * rows, rows)) };
        if (o.signal.aborted) return;
      }
    },
  };
}
const load0 = loadavg()[0]!;
/** EXECUTOR_CASES=2,2d runs only those cases (numbered as in the comments below). */
const only = process.env['EXECUTOR_CASES']?.split(',');
const want = (c: string) => !only || only.includes(c);

interface BarePool { run(x: unknown, o?: object): Promise<unknown>; destroy(): Promise<void> }
/**
 * A bare piscina pool (core's dependency, not this package's) whose handler is `source` (an ES
 * module with a default export), written to a temporary directory; `close` stops it and removes it.
 */
function barePool(source: string, opts: object): { pool: BarePool; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'modaflow-piscina-'));
  writeFileSync(join(dir, 'handler.mjs'), source);
  const { Piscina } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('piscina') as { Piscina: new (o: object) => BarePool };
  const pool = new Piscina({ filename: pathToFileURL(join(dir, 'handler.mjs')).href, ...opts });
  return { pool, close: async () => { await pool.destroy(); rmSync(dir, { recursive: true, force: true }); } };
}

// 1. Dispatch overhead: a trivial op (x * 2 + 1) over many small batches. The pool pays encoding,
// postMessage both ways, decoding and scheduling; in-process pays none of it. The difference per
// batch is the dispatch overhead.
if (want('1')) {
  const batches = 2000, batchSize = 64;
  // Default options: retries: 2 keep the input for a retry, so the outbound hop copies it.
  const ds = fromSource<XS>(freshSource(batches, batchSize)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
  let copied = 0, transferred = 0, hops = 0;
  const progress = { next: (e: ProgressEvent) => { if (e.type === 'batch-done') { copied += e.bytesCopied; transferred += e.bytesTransferred; hops++; } } };
  // Bytes per hop from one run with a progress observer; the timed runs have none on either side
  // (an observer's per-batch events are a cost of observing, not of dispatch).
  await ds.compute({ workers: 1, batchSize, progress });
  const r = await compare(`dispatch (default: outbound copy kept for retries): trivial op, ${batches} batches × ${batchSize} rows, 1 worker vs in-process`,
    () => ds.compute({ workers: 1, batchSize }),
    () => ds.compute({ workers: 0, batchSize }),
    { runs: 7 });
  const perBatchUs = ((r.contender.median - r.baseline.median) / batches) * 1000;
  // Wall time on a loaded machine is mostly waiting for a time slice; CPU time (all threads of
  // the process) counts only the work dispatch adds: encode, postMessage both ways, decode.
  const cpuPool: number[] = [], cpuInline: number[] = [];
  for (let i = 0; i < 5; i++) {
    let c0 = process.cpuUsage();
    await ds.compute({ workers: 1, batchSize });
    let d = process.cpuUsage(c0);
    cpuPool.push((d.user + d.system) / batches);
    c0 = process.cpuUsage();
    await ds.compute({ workers: 0, batchSize });
    d = process.cpuUsage(c0);
    cpuInline.push((d.user + d.system) / batches);
  }
  const cpuOverhead = summarize(cpuPool.map((p, i) => p - cpuInline[i]!));
  results.push({ ...r, extra: {
    dispatch_us_per_batch_median: perBatchUs,
    dispatch_cpu_us_per_batch_median: cpuOverhead.median, dispatch_cpu_us_per_batch_min: cpuOverhead.min, dispatch_cpu_us_per_batch_max: cpuOverhead.max,
    pool_us_per_batch: (r.contender.median / batches) * 1000,
    inprocess_us_per_batch: (r.baseline.median / batches) * 1000,
    bytes_copied_per_batch: copied / hops, bytes_transferred_per_batch: transferred / hops,
  } });

  // The same with retries: 0 over a source that builds fresh buffers per batch (so the engine owns
  // them): nothing is kept for a retry. These 64-row buffers still travel packed (copied into the
  // message, see the core README); the bytes per hop of large buffers are reported below.
  let c2 = 0, t2 = 0, h2 = 0;
  const progress2 = { next: (e: ProgressEvent) => { if (e.type === 'batch-done') { c2 += e.bytesCopied; t2 += e.bytesTransferred; h2++; } } };
  const fresh = fromSource<XS>(freshSource(batches, batchSize)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
  await fresh.compute({ workers: 1, batchSize, retries: 0, progress: progress2 });
  const r2 = await compare(`dispatch, retries: 0 over owned batches: trivial op, ${batches} batches × ${batchSize} rows, 1 worker vs in-process`,
    () => fresh.compute({ workers: 1, batchSize, retries: 0 }),
    () => fresh.compute({ workers: 0, batchSize }),
    { runs: 7 });
  // Bytes per batch, both hops, of 8192-row float64 batches (64 KB columns travel on their own):
  // one run each, default retries (the outbound buffer is copied, kept for a retry) and retries: 0
  // (transferred); results come back transferred either way.
  const hop = async (retries: number) => {
    let copied = 0, transferred = 0, n = 0;
    const progress = { next: (e: ProgressEvent) => { if (e.type === 'batch-done') { copied += e.bytesCopied; transferred += e.bytesTransferred; n++; } } };
    await fromSource<XS>(freshSource(16, 8192)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 })).compute({ workers: 1, batchSize: 8192, retries, progress, batchesPerTask: 1 });
    return { copied: copied / n, transferred: transferred / n };
  };
  const [keep, give] = [await hop(2), await hop(0)];
  results.push({ ...r2, extra: {
    dispatch_us_per_batch_median: ((r2.contender.median - r2.baseline.median) / batches) * 1000,
    bytes_copied_per_batch: c2 / h2, bytes_transferred_per_batch: t2 / h2,
    large_batch_bytes_copied_retries_2: keep.copied, large_batch_bytes_transferred_retries_2: keep.transferred,
    large_batch_bytes_copied_retries_0: give.copied, large_batch_bytes_transferred_retries_0: give.transferred,
  } });

  // What grouping quick batches into tasks buys: the same run with one batch per task.
  const r3 = await compare(`dispatch, one batch per task (batchesPerTask: 1, retries: 0): trivial op, ${batches} batches × ${batchSize} rows, 1 worker vs in-process`,
    () => fresh.compute({ workers: 1, batchSize, retries: 0, batchesPerTask: 1 }),
    () => fresh.compute({ workers: 0, batchSize }),
    { runs: 7 });
  results.push({ ...r3, extra: { dispatch_us_per_batch_median: ((r3.contender.median - r3.baseline.median) / batches) * 1000 } });
  await fresh.compute({ workers: 1, batchSize, retries: 0 });
  const tasks = /analyzed: \d+ batches in (\d+) tasks/.exec(fresh.explain({ analyze: true }));
  console.log(`batchesPerTask 'auto': ${batches} batches travelled in ${tasks ? tasks[1] : batches} tasks`);
}

// 1b. The transport's floor: bare piscina round trips (a number to a handler that returns it, 4 in
// flight, 1 worker) against the engine's dispatch of the same number of trivial batches. The
// difference is what the engine adds per batch; the piscina figure alone bounds what per-batch
// dispatch can reach on this machine.
if (want('1b')) {
  const tasks = 2000;
  const echo = barePool('export default function (x) { return x; }\n', { minThreads: 1, maxThreads: 1 });
  const bare = echo.pool;
  const roundTrips = async () => {
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < tasks; i++) { inflight.push(bare.run(i)); if (inflight.length >= 4) await inflight.shift(); }
    await Promise.all(inflight);
  };
  const fresh = fromSource<XS>(freshSource(tasks, 64)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
  const r = await compare(`transport floor: engine 1-worker dispatch of ${tasks} trivial batches vs ${tasks} bare piscina round trips`,
    () => fresh.compute({ workers: 1, batchSize: 64, retries: 0 }),
    roundTrips,
    { runs: 7 });
  results.push({ ...r, extra: {
    piscina_us_per_task_median: (r.baseline.median / tasks) * 1000,
    engine_us_per_batch_median: (r.contender.median / tasks) * 1000,
  } });
  await echo.close();
}

// 2. Throughput of a CPU-bound op: 2 workers against in-process.
if (want('2')) {
  const rows = 40_000, batchSize = 1000, iters = 400;
  const ds = fromSource<XS>(freshSource(rows / batchSize, batchSize)).map(spin({ column: 'x', output: 'y', iters }));
  const r = await compare(`cpu-bound: spin(${iters} iters/row), ${rows} rows, 2 workers vs in-process`,
    () => ds.compute({ workers: 2, batchSize }),
    () => ds.compute({ workers: 0, batchSize }),
    { runs: 5 });
  // Where the 2-worker run's CPU goes besides the kernels: this (coordinating) thread's CPU and
  // the whole process's, per run (Linux: /proc/thread-self/stat, in clock ticks of 10 ms).
  const threadMs = () => { const f = readFileSync('/proc/thread-self/stat', 'utf8'); const v = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(v[11]) + Number(v[12])) * 10; };
  const R = 10;
  const m0 = threadMs(), c0 = process.cpuUsage();
  for (let i = 0; i < R; i++) await ds.compute({ workers: 2, batchSize });
  const cpu = process.cpuUsage(c0);
  results.push({ ...r, extra: {
    rows_per_s_2_workers: rows / (r.contender.median / 1000), rows_per_s_in_process: rows / (r.baseline.median / 1000),
    coordinating_thread_cpu_ms_per_run: (threadMs() - m0) / R, process_cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / R,
  } });
}

// 2b. The same op in batches of ~0.5 ms: the coordinating thread's work per task (messages,
// wake-ups) competes with the workers for this machine's 2 cores, so quick batches must share tasks.
if (want('2b')) {
  const rows = 40_000, batchSize = 100, iters = 200;
  const ds = fromSource<XS>(freshSource(rows / batchSize, batchSize)).map(spin({ column: 'x', output: 'y', iters }));
  const r = await compare(`cpu-bound, small batches: spin(${iters}), ${rows / batchSize} batches × ${batchSize} rows, 2 workers vs in-process`,
    () => ds.compute({ workers: 2, batchSize }),
    () => ds.compute({ workers: 0, batchSize }),
    { runs: 5 });
  await ds.compute({ workers: 2, batchSize });
  const tasks = /analyzed: \d+ batches in (\d+) tasks/.exec(ds.explain({ analyze: true }));
  results.push({ ...r, extra: { tasks: tasks ? Number(tasks[1]) : rows / batchSize } });
}

// 2c. workers: 'auto' on a cheap op over a caller's table (every batch must be copied out): the
// stage measures the pool, probes in-process and keeps the quicker (see the core README).
if (want('2c')) {
  const n = 8_000_000, batchSize = 8192;
  // apache-arrow is core's dependency, not this package's.
  const arrow = createRequire(new URL('../../packages/core/package.json', import.meta.url))('apache-arrow') as { tableFromArrays(c: Record<string, Float64Array>): Parameters<typeof fromArrow>[0] };
  const table = arrow.tableFromArrays({ x: Float64Array.from({ length: n }, (_, i) => i) });
  // Declared costly (100 µs per row) so that 'auto' starts on the pool; the kernel is a copy.
  const ds = fromArrow<XS>(table).map(spin({ column: 'x', output: 'y', iters: 0, cost: 100 }));
  const saved = process.env['MODAFLOW_WORKERS'];
  delete process.env['MODAFLOW_WORKERS'];
  try {
    const auto = await compare(`adaptive: 'auto' vs in-process, a copy over a caller's ${n}-row table in ${batchSize}-row batches`,
      () => ds.compute({ batchSize }),
      () => ds.compute({ workers: 0, batchSize }),
      { runs: 5 });
    await ds.compute({ batchSize });
    const decided = /(moved in-process|tried in-process)[^←\n]*/.exec(ds.explain({ analyze: true }));
    results.push({ ...auto, extra: { decision: decided ? decided[0].trim() : 'stayed on the pool (no probe)' } });
    results.push(await compare(`the same on 2 workers (explicit) vs in-process`,
      () => ds.compute({ workers: 2, batchSize }),
      () => ds.compute({ workers: 0, batchSize }),
      { runs: 5 }));
  } finally {
    if (saved !== undefined) process.env['MODAFLOW_WORKERS'] = saved;
  }
}

// 2d. The machine's ceiling for case 2: the same arithmetic on bare worker_threads (no engine: a
// batch in, its result out, two in flight per thread as the engine keeps them), against the same
// loop on this thread; and on bare piscina (the engine's pool library, with the engine's queueing:
// 2 tasks per worker, 8 in flight), which bounds what any executor on piscina can reach. On this 2-core VM two busy threads each run ~8–10% slower than one alone, so
// bare threads reach ~1.8–1.9×, not 2×; the engine's figure is read against this one. All four arms
// run interleaved, each pair from one round.
if (want('2d')) {
  const rows = 40_000, batchSize = 1000, iters = 400, nb = rows / batchSize;
  const ds = fromSource<XS>(freshSource(nb, batchSize)).map(spin({ column: 'x', output: 'y', iters }));
  // The loop of test-ops' spin kernel, as plain JavaScript for a bare thread.
  const kernel = 'function spin(x, iters) { const out = new Float64Array(x.length); for (let i = 0; i < x.length; i++) { let v = x[i]; for (let k = 0; k < iters; k++) v = Math.sin(v) * 0.5 + Math.cos(v * 1.0001); out[i] = v; } return out; }';
  const threads = [0, 1].map(() => new Worker(`const { parentPort } = require('node:worker_threads'); ${kernel}\nparentPort.on('message', (m) => { const out = spin(m.x, m.iters); parentPort.postMessage(out, [out.buffer]); });`, { eval: true }));
  const spinHere = new Function(`${kernel}; return spin;`)() as (x: Float64Array, iters: number) => Float64Array;
  const batch = (b: number) => { const x = new Float64Array(batchSize); for (let i = 0; i < batchSize; i++) x[i] = (b * batchSize + i) * 0.001; return x; };
  const bareThreads = async () => {
    const outs: Float64Array[] = new Array(nb);
    let next = 0;
    // Each thread keeps two batches in flight: replies come back in order per thread.
    await Promise.all(threads.map((w) => new Promise<void>((resolve) => {
      const mine: number[] = [];
      const send = () => { if (next < nb) { const b = next++; mine.push(b); const x = batch(b); w.postMessage({ x, iters }, [x.buffer]); } };
      const onMessage = (out: Float64Array) => { outs[mine.shift()!] = out; send(); if (mine.length === 0) { w.off('message', onMessage); resolve(); } };
      w.on('message', onMessage);
      send(); send();
      if (mine.length === 0) resolve();
    })));
    return outs;
  };
  const bareLoop = () => { const outs: Float64Array[] = []; for (let b = 0; b < nb; b++) outs.push(spinHere(batch(b), iters)); return outs; };
  const spinPool = barePool(`${kernel}\nexport default function ({ x, iters }) { return spin(x, iters); }\n`, { minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 2, idleTimeout: Infinity, recordTiming: false });
  const pp = spinPool.pool;
  const barePiscina = async () => {
    const outs: unknown[] = new Array(nb);
    const inflight: Promise<void>[] = [];
    for (let b = 0; b < nb; b++) {
      const x = batch(b);
      inflight.push(pp.run({ x, iters }, { transferList: [x.buffer] }).then((o) => { outs[b] = o; }));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
    return outs;
  };
  const arms = { engine2: () => ds.compute({ workers: 2, batchSize }), engine0: () => ds.compute({ workers: 0, batchSize }), bare2: bareThreads, bare0: bareLoop, piscina2: barePiscina };
  const t: Record<keyof typeof arms, number[]> = { engine2: [], engine0: [], bare2: [], bare0: [], piscina2: [] };
  const names = Object.keys(arms) as (keyof typeof arms)[];
  for (const k of names) await arms[k]();
  for (let r = 0; r < 7; r++) {
    // Rotate the order so that drift in machine load does not favour one arm.
    for (let j = 0; j < names.length; j++) { const k = names[(r + j) % names.length]!; const t0 = performance.now(); await arms[k](); t[k].push(performance.now() - t0); }
  }
  const paired = (a: number[], b: number[]) => summarize(a.map((x, i) => x / b[i]!)).median;
  results.push({
    name: `ceiling: bare worker_threads (2, no engine) vs the same loop on one thread, spin(${iters}), ${nb} × ${batchSize} rows; engine arms interleaved`,
    contender: summarize(t.bare2), baseline: summarize(t.bare0), speedup: paired(t.bare0, t.bare2),
    extra: {
      engine_2_workers_vs_in_process: paired(t.engine0, t.engine2),
      engine_share_of_ceiling: paired(t.bare2, t.engine2),
      engine_in_process_vs_bare_loop: paired(t.bare0, t.engine0),
      bare_piscina_vs_bare_loop: paired(t.bare0, t.piscina2),
      engine_share_of_bare_piscina: paired(t.piscina2, t.engine2),
      engine_2_workers_ms_median: summarize(t.engine2).median, engine_in_process_ms_median: summarize(t.engine0).median,
    },
  });
  await Promise.all(threads.map((w) => w.terminate()));
  await spinPool.close();
}

// 3. Engine (in-process, and 2 workers) against a hand-written loop over the same Float64Array.
if (want('3')) {
  const rows = 40_000, batchSize = 1000, iters = 400;
  const ds = fromSource<XS>(freshSource(rows / batchSize, batchSize)).map(spin({ column: 'x', output: 'y', iters }));
  const input = Float64Array.from({ length: rows }, (_, i) => i * 0.001);
  const loop = () => {
    const x = input;
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      let v = x[i]!;
      for (let k = 0; k < iters; k++) v = Math.sin(v) * 0.5 + Math.cos(v * 1.0001);
      out[i] = v;
    }
    return out;
  };
  results.push(await compare(`engine in-process vs hand-written loop: spin(${iters}), ${rows} rows`, () => ds.compute({ workers: 0, batchSize }), loop, { runs: 5 }));
  results.push(await compare(`engine 2 workers vs hand-written loop: spin(${iters}), ${rows} rows`, () => ds.compute({ workers: 2, batchSize }), loop, { runs: 5 }));
  // The engine's source builds its batches (a fill loop); the loop reads a prebuilt array.
  const trivial = fromSource<XS>(freshSource(200, 1000)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
  const input200 = Float64Array.from({ length: 200_000 }, (_, i) => i * 0.001);
  const loop2 = () => {
    const x = input200;
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i]! * 2 + 1;
    return out;
  };
  results.push(await compare('engine in-process vs hand-written loop: x * 2 + 1, 200k rows (batches of 1000)', () => trivial.compute({ workers: 0, batchSize: 1000 }), loop2, { runs: 7 }));
}

console.log(`cores ${availableParallelism()}, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`);
report('executor', results);
await shutdownPools();
