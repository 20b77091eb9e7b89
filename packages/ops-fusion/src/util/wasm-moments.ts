// The WebAssembly SIMD versions of fast-moments.ts (src/wasm/moments.c): the same exact block sums
// and the same interval keep test, ~4× faster than the JS loops. Loaded synchronously from the
// .wasm next to this module's folder (src/wasm or dist/wasm).
import { readFileSync } from 'node:fs';
import { allocUnzeroed } from '@modaflow/core';
import { addExact, type ExactSum } from './exact-sum.ts';

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  moments_f32(x: number, n: number, out: number, slow: number): number;
  keep_runs_f32(x: number, n: number, lo: number, hi: number, keep: number, runs: number, cap: number, nruns: number, out: number): number;
}

const CHUNK = 65_536; // values per call; a multiple of the kernel's 4096-value blocks
/** Values per kernel call. */
export const WASM_CHUNK = CHUNK;
const BLOCK = 4096;
const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL('../wasm/moments.wasm', import.meta.url))), {}).exports as unknown as Exports;
const base = ((ex.__heap_base.value as number) + 15) & ~15;
/** Runs recorded per call: more than one per 16 rows is not worth copying run by run. */
const RUN_CAP = (CHUNK >> 4) + 1;
const X = base, OUT = X + CHUNK * 4, SLOW = OUT + (CHUNK / BLOCK) * 32, KEEP = SLOW + CHUNK * 4, RUNS = KEEP + CHUNK, NRUNS = RUNS + RUN_CAP * 12, TAKE = NRUNS + 16, END = TAKE + CHUNK * 4;
if (ex.memory.buffer.byteLength < END) ex.memory.grow(Math.ceil((END - ex.memory.buffer.byteLength) / 65_536));
// The memory never grows after this: the views stay valid.
const xv = new Float32Array(ex.memory.buffer, X, CHUNK);
const outv = new Float64Array(ex.memory.buffer, OUT, (CHUNK / BLOCK) * 4);
const slowv = new Float32Array(ex.memory.buffer, SLOW, CHUNK);
const keepv = new Uint8Array(ex.memory.buffer, KEEP, CHUNK);
const runsv = new Int32Array(ex.memory.buffer, RUNS, RUN_CAP * 3);
const nrunsv = new Int32Array(ex.memory.buffer, NRUNS, 1);
const takev = new Float32Array(ex.memory.buffer, TAKE, CHUNK);

/** addMomentsF32 (fast-moments.ts) over all of xs, in WebAssembly: adds to the exact sums, returns the count of finite values. */
export function addMomentsF32Wasm(xs: Float32Array, sum: ExactSum, sumSq: ExactSum): number {
  let count = 0;
  for (let a = 0; a < xs.length; a += CHUNK) {
    const n = Math.min(CHUNK, xs.length - a);
    xv.set(n === xs.length ? xs : xs.subarray(a, a + n));
    const ns = ex.moments_f32(X, n, OUT, SLOW);
    const blocks = Math.ceil(n / BLOCK);
    for (let b = 0; b < blocks; b++) {
      const o = b * 4;
      const s = outv[o]!, h = outv[o + 1]!, l = outv[o + 2]!;
      if (s !== 0) addExact(sum, s);
      if (h !== 0) addExact(sumSq, h);
      if (l !== 0) addExact(sumSq, l);
      count += outv[o + 3]!;
    }
    for (let k = 0; k < ns; k++) { const v = slowv[k]!; addExact(sum, v); addExact(sumSq, v * v); }
  }
  return count;
}

/**
 * The kept rows of a keep test: how many, their runs as [dst, src, length] triples (as core's
 * scanMask gives them), the kept values when asked for, and the 0/1 mask when one was asked for.
 */
export interface KeptRuns { readonly kept: number; readonly runs: Int32Array | null; readonly values?: Float32Array; readonly mask?: Uint8Array }

/**
 * The interval keep test (lo ≤ x ≤ hi; NaN never kept) with the runs of kept rows found in the same pass: `runs` is null when
 * they are short (over one run per 16 kept rows, or under 64 rows kept), where copying run by run
 * does not pay. With `take` (and at most 65 536 values), `values` are the kept values, copied
 * out of the kernel's memory, where the same pass gathered them — unless every value is kept. `mask`: 'always' writes the 0/1
 * mask (unzeroed) into `mask`; 'if-no-runs' only when the runs are null (at most 65 536 values:
 * the kernel's copy of the mask is still there then).
 */
export function keepRunsF32Wasm(xs: Float32Array, lo: number, hi: number, opts: { take?: boolean; mask: 'always' | 'if-no-runs' }): KeptRuns {
  const one = xs.length <= CHUNK;
  if (!one && opts.mask !== 'always') throw new Error(`keepRunsF32Wasm: mask 'if-no-runs' needs at most ${CHUNK} values, got ${xs.length}`);
  const keep = opts.mask === 'always' ? allocUnzeroed(Uint8Array, xs.length) : null;
  let kept = 0, nr = 0, ok = true;
  let out = new Int32Array(0);
  for (let a = 0; a < xs.length; a += CHUNK) {
    const n = Math.min(CHUNK, xs.length - a);
    xv.set(one ? xs : xs.subarray(a, a + n));
    const k = ex.keep_runs_f32(X, n, lo, hi, KEEP, RUNS, RUN_CAP, NRUNS, TAKE);
    if (keep) keep.set(n === CHUNK ? keepv : keepv.subarray(0, n), a);
    const m = nrunsv[0]!;
    if (m > RUN_CAP) ok = false;
    if (ok && m > 0) {
      if (out.length < (nr + m) * 3) { const o = new Int32Array(Math.max((nr + m) * 3, out.length * 2)); o.set(out.subarray(0, nr * 3)); out = o; }
      let r = 0;
      // A run that goes on across the chunk boundary is one run.
      if (nr > 0 && runsv[1] === 0 && out[(nr - 1) * 3 + 1]! + out[(nr - 1) * 3 + 2]! === a) { out[(nr - 1) * 3 + 2]! += runsv[2]!; r = 1; }
      for (; r < m; r++, nr++) { out[nr * 3] = runsv[r * 3]! + kept; out[nr * 3 + 1] = runsv[r * 3 + 1]! + a; out[nr * 3 + 2] = runsv[r * 3 + 2]!; }
    }
    kept += k;
  }
  if (!ok || kept < 64 || nr > kept >> 4) {
    if (keep) return { kept, runs: null, mask: keep };
    const mask = allocUnzeroed(Uint8Array, xs.length);
    mask.set(one && xs.length === CHUNK ? keepv : keepv.subarray(0, xs.length));
    return { kept, runs: null, mask };
  }
  const runs = out.length === nr * 3 ? out : out.slice(0, nr * 3);
  // Every row kept: core passes the batch on as it is, so a copy of its values would be dropped.
  const values = opts.take && one && kept < xs.length ? allocUnzeroed(Float32Array, kept) : undefined;
  if (values) values.set(kept === CHUNK ? takev : takev.subarray(0, kept));
  return { kept, runs, ...(values ? { values } : {}), ...(keep ? { mask: keep } : {}) };
}
