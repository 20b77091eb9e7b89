// The WebAssembly SIMD versions of fast-moments.ts (src/wasm/moments.c): the same exact block sums
// and the same interval keep test, ~4× faster than the JS loops. Loaded synchronously from the
// .wasm next to this module's folder (src/wasm or dist/wasm).
import { readFileSync } from 'node:fs';
import { addExact, type ExactSum } from './exact-sum.ts';

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  moments_f32(x: number, n: number, out: number, slow: number): number;
  keep_interval_f32(x: number, n: number, lo: number, hi: number, keep: number): number;
}

const CHUNK = 65_536; // values per call; a multiple of the kernel's 4096-value blocks
const BLOCK = 4096;
const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL('../wasm/moments.wasm', import.meta.url))), {}).exports as unknown as Exports;
const base = ((ex.__heap_base.value as number) + 15) & ~15;
const X = base, OUT = X + CHUNK * 4, SLOW = OUT + (CHUNK / BLOCK) * 32, KEEP = SLOW + CHUNK * 4, END = KEEP + CHUNK;
if (ex.memory.buffer.byteLength < END) ex.memory.grow(Math.ceil((END - ex.memory.buffer.byteLength) / 65_536));
// The memory never grows after this: the views stay valid.
const xv = new Float32Array(ex.memory.buffer, X, CHUNK);
const outv = new Float64Array(ex.memory.buffer, OUT, (CHUNK / BLOCK) * 4);
const slowv = new Float32Array(ex.memory.buffer, SLOW, CHUNK);
const keepv = new Uint8Array(ex.memory.buffer, KEEP, CHUNK);

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

/** keep[i] = lo ≤ xs[i] ≤ hi as 1/0 (NaN never kept), in WebAssembly. */
export function keepIntervalF32Wasm(xs: Float32Array, lo: number, hi: number, keep: Uint8Array): number {
  let kept = 0;
  for (let a = 0; a < xs.length; a += CHUNK) {
    const n = Math.min(CHUNK, xs.length - a);
    xv.set(n === xs.length ? xs : xs.subarray(a, a + n));
    kept += ex.keep_interval_f32(X, n, lo, hi, KEEP);
    keep.set(n === CHUNK ? keepv : keepv.subarray(0, n), a);
  }
  return kept;
}
