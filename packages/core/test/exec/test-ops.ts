// Ops for the executor tests. They live in their own module (not in a test file) because worker
// threads import the module that defines an op; importing a test file would run its tests again.
import { existsSync, writeFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';
// Imported from the modules themselves (not the index) so a worker starts faster: every worker and
// every replacement of a killed worker imports this module.
import { defineOp } from '../../src/ops/define-op.ts';
import { dt } from '../../src/types/dtype.ts';
import type { Float64, Utf8 } from '../../src/types/dtype.ts';

const affineDef = defineOp<{ column: string; output: string; a: number; b: number }>({
  name: 'exectest.affine',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  kernel(input, p) {
    const d = input.data(p.column);
    const v = d.values as Float64Array;
    const out = new Float64Array(input.numRows);
    for (let i = 0; i < out.length; i++) out[i] = v[d.offset + i]! * p.a + p.b;
    // Nulls stay null: reuse the input's validity through JS values when there are any.
    if (d.nullCount > 0) return { columns: { [p.output]: input.values(p.column).map((x, i) => (x === null ? null : out[i]!)) } };
    return { columns: { [p.output]: out } };
  },
});
/** out = column * a + b. */
export const affine = <C extends string, O extends string>(p: { column: C; output: O; a: number; b: number }) =>
  affineDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(p);

const keepModDef = defineOp<{ column: string; mod: number }>({
  name: 'exectest.keep-mod',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  properties: { filters: true },
  kernel(input, p) {
    const v = input.values(p.column) as (number | null)[];
    return { columns: {}, keep: v.map((x) => x !== null && Math.abs(Math.round(x)) % p.mod !== 0) };
  },
});
/** Keeps rows whose rounded value is not a multiple of mod (drops nulls). */
export const keepMod = <C extends string>(p: { column: C; mod: number }) => keepModDef.call<{ [K in C]: Float64 }, {}>(p);

const tagDef = defineOp<{ column: string; output: string; prefix: string }, { prefix: string }>({
  name: 'exectest.tag',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.utf8() }),
  init: (p) => ({ prefix: `${p.prefix}:` }),
  kernel(input, p, ctx) {
    const st = ctx.state;
    const v = input.values(p.column) as (number | null)[];
    return { columns: { [p.output]: v.map((x) => (x === null ? null : `${st.prefix}${x.toFixed(2)}`)) } };
  },
});
/** A string column from a number column, using per-worker state from init. */
export const tag = <C extends string, O extends string>(p: { column: C; output: O; prefix: string }) =>
  tagDef.call<{ [K in C]: Float64 }, { [K in O]: Utf8 }>(p);

const noiseDef = defineOp<{ output: string }>({
  name: 'exectest.noise',
  module: import.meta.url,
  inputs: () => ({}),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  kernel(input, p, ctx) {
    const out = new Float64Array(input.numRows);
    for (let i = 0; i < out.length; i++) out[i] = ctx.random(i).float();
    return { columns: { [p.output]: out } };
  },
});
/** Seeded noise keyed on the row id: must not depend on workers or batch size. */
export const noise = <O extends string>(p: { output: O }) => noiseDef.call<{}, { [K in O]: Float64 }>(p);

const rejectDef = defineOp<{ column: string; mod: number }>({
  name: 'exectest.reject',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  kernel(input, p, ctx) {
    const v = input.values(p.column) as (number | null)[];
    v.forEach((x, i) => { if (x !== null && Math.abs(Math.round(x)) % p.mod === 1) ctx.rowError(i, `value ${x} is rejected`, { column: p.column, code: 'MF_ROW_ERROR' }); });
    return { columns: {} };
  },
});
/** Reports rows whose rounded value ≡ 1 (mod `mod`) as bad rows (ctx.rowError). */
export const reject = <C extends string>(p: { column: C; mod: number }) => rejectDef.call<{ [K in C]: Float64 }, {}>(p);

const throwDef = defineOp<{ column: string; above: number }>({
  name: 'exectest.throw-batch',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  kernel(input, p) {
    const v = input.values(p.column) as (number | null)[];
    if (v.some((x) => x !== null && x > p.above)) throw new Error(`a value above ${p.above}`);
    return { columns: {} };
  },
});
/** Throws (fails the whole batch) when any value exceeds `above`. */
export const throwBatch = <C extends string>(p: { column: C; above: number }) => throwDef.call<{ [K in C]: Float64 }, {}>(p);

const centerDef = defineOp<{ column: string; output: string; statsMs?: number }, undefined, { mean: number }>({
  name: 'exectest.center',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  stats: {
    init: () => ({ sum: 0, n: 0 }),
    update(acc: { sum: number; n: number }, input, p) {
      if (p.statsMs) { const end = performance.now() + p.statsMs; while (performance.now() < end) { /* a slow statistics pass */ } }
      for (const x of input.values(p.column) as (number | null)[]) if (x !== null) { acc.sum += x; acc.n++; }
      return acc;
    },
    merge: (a: { sum: number; n: number }, b: { sum: number; n: number }) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
    finalize: (acc: { sum: number; n: number }) => ({ mean: acc.n ? acc.sum / acc.n : 0 }),
  },
  kernel(input, p, ctx) {
    const v = input.values(p.column) as (number | null)[];
    return { columns: { [p.output]: v.map((x) => (x === null ? null : x - ctx.stats.mean)) } };
  },
});
/** A global op: subtracts the dataset mean (a statistics barrier); `statsMs` busy-waits per batch in its statistics pass. */
export const center = <C extends string, O extends string>(p: { column: C; output: O; statsMs?: number }) =>
  centerDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(p);

const spinDef = defineOp<{ column: string; output: string; iters: number; cost?: number }>({
  name: 'exectest.spin',
  module: import.meta.url,
  properties: (p) => (p.cost !== undefined ? { costPerRow: p.cost } : {}),
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  kernel(input, p) {
    const d = input.data(p.column);
    const v = d.values as Float64Array;
    const out = new Float64Array(input.numRows);
    for (let i = 0; i < out.length; i++) {
      let x = v[d.offset + i]!;
      for (let k = 0; k < p.iters; k++) x = Math.sin(x) * 0.5 + Math.cos(x * 1.0001);
      out[i] = x;
    }
    return { columns: { [p.output]: out } };
  },
});
/** CPU-bound: `iters` trigonometric steps per row (benchmarks, cancellation tests); `cost` declares costPerRow (µs). */
export const spin = <C extends string, O extends string>(p: { column: C; output: O; iters: number; cost?: number }) =>
  spinDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(p);

const dieDef = defineOp<{ column: string; marker?: string; code: number; at?: number }>({
  name: 'exectest.die',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  kernel(input, p) {
    // With `at`, only a batch holding that value dies (every attempt).
    if (p.at !== undefined) {
      if ((input.values(p.column) as (number | null)[]).includes(p.at)) process.exit(p.code);
      return { columns: {} };
    }
    // With a marker file, only the first attempt dies (the retry finds the marker); without one,
    // every attempt dies.
    if (p.marker === undefined) process.exit(p.code);
    if (!existsSync(p.marker)) { writeFileSync(p.marker, 'died once'); process.exit(p.code); }
    return { columns: {} };
  },
});
/** Kills its worker thread (process.exit inside a kernel). */
export const die = <C extends string>(p: { column: C; marker?: string; code: number; at?: number }) => dieDef.call<{ [K in C]: Float64 }, {}>(p);

const whereDef = defineOp<{ output: string }>({
  name: 'exectest.where',
  module: import.meta.url,
  properties: { costPerRow: 1 },
  inputs: () => ({}),
  outputs: (p) => ({ [p.output]: dt.utf8() }),
  kernel(input, p) {
    return { columns: { [p.output]: new Array(input.numRows).fill(threadId === 0 ? 'main' : `worker-${threadId}`) } };
  },
});
/** Which thread ran the batch ('main' or 'worker-<id>'). */
export const where = <O extends string>(p: { output: O }) => whereDef.call<{}, { [K in O]: Utf8 }>(p);

const collectDef = defineOp<{ every: number }>({
  name: 'exectest.collect',
  module: import.meta.url,
  inputs: () => ({}),
  outputs: () => ({}),
  kernel() {
    // Memory tests expose gc process-wide; a worker then frees the buffers of earlier batches
    // now rather than whenever its collector gets round to them.
    (globalThis as { gc?: () => void }).gc?.();
    return { columns: {} };
  },
});
/** Runs a full garbage collection in the worker before passing the batch on (memory tests). */
export const collect = () => collectDef.call<{}, {}>({ every: 1 });

const runningSumDef = defineOp<{ column: string; output: string }>({
  name: 'exectest.running-sum',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: { rowLocal: false },
  kernel(input, p) {
    const v = input.values(p.column) as (number | null)[];
    let s = 0;
    return { columns: { [p.output]: v.map((x) => (s += x ?? 0)) } };
  },
});
/** Not row-local (a running sum within the batch): a stage barrier. */
export const runningSum = <C extends string, O extends string>(p: { column: C; output: O }) =>
  runningSumDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(p);

/** Refuses to run on the main thread: these ops must only ever take a worker down. */
function workerOnly(op: string): void {
  if (isMainThread) throw new Error(`${op} only runs in a worker thread (it would take the test process down)`);
}

const oomDef = defineOp<{ column: string; at?: number }>({
  name: 'exectest.oom',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  kernel(input, p) {
    workerOnly('exectest.oom');
    if (p.at !== undefined && !(input.values(p.column) as (number | null)[]).includes(p.at)) return { columns: {} };
    // JS objects (not ArrayBuffers, which live outside the V8 heap and its limit) until the heap is full.
    const keep: unknown[] = [];
    for (;;) keep.push(new Array(1e5).fill({ at: keep.length }));
  },
});
/** Fills its worker's V8 heap until the worker is stopped (every batch, or only one holding `at`); never runs in-process. */
export const oom = <C extends string>(p: { column: C; at?: number }) => oomDef.call<{ [K in C]: Float64 }, {}>(p);

const throwLaterDef = defineOp<{ column: string; how: 'timer' | 'rejection' }>({
  name: 'exectest.throw-later',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: () => ({}),
  async kernel(_input, p) {
    workerOnly('exectest.throw-later');
    // An error no caller can catch, raised while the kernel still waits: thrown from a timer, or a
    // promise rejected with no handler (Node's default --unhandled-rejections=throw). Either ends
    // the worker thread.
    if (p.how === 'timer') setTimeout(() => { throw new Error('thrown later, from a timer'); }, 1);
    else void Promise.reject(new Error('rejected later, unhandled'));
    await new Promise((r) => setTimeout(r, 60_000).unref());
    return { columns: {} };
  },
});
/** Kills its worker with an uncaught asynchronous error (a timer's throw, or an unhandled rejection); never runs in-process. */
export const throwLater = <C extends string>(p: { column: C; how: 'timer' | 'rejection' }) => throwLaterDef.call<{ [K in C]: Float64 }, {}>(p);

const busyDef = defineOp<{ column: string; output: string; ms: number; marker?: string }>({
  name: 'exectest.busy',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  kernel(input, p) {
    // The marker tells a test that the kernel runs, and on which thread.
    if (p.marker !== undefined) writeFileSync(p.marker, String(threadId));
    const end = Date.now() + p.ms;
    let x = 0;
    while (Date.now() < end) x += Math.sin(x);
    return { columns: { [p.output]: new Float64Array(input.numRows).fill(x === x ? 1 : 0) } };
  },
});
/** Keeps its thread busy (a synchronous spin) for `ms` per batch; writes the thread id to `marker` first (cancellation tests). */
export const busy = <C extends string, O extends string>(p: { column: C; output: O; ms: number; marker?: string }) =>
  busyDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(p);
