// The WebAssembly versions of the merge paths for int64 keys (src/wasm/merge.c): the same answers
// as lastAtMostMerge (keys.ts) and linearFromLe (interpolate.ts), ~2-3× faster (a JS loop over
// typed-array arguments re-checks each array on every access). The long side is copied into the
// module's memory in chunks of CHUNK rows (each with the row before it), the left keys and the
// answers whole; the memory grows to the largest call and is kept (no page faults after it).
import { readFileSync } from 'node:fs';

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  merge_le_i64(s: number, ov: number, len: number, g0: number, final: number, t: number, m: number, out: number, w: number): number;
  interp_i64(s: number, y: number, ov: number, len: number, g0: number, final: number, n: number, t: number, m: number, out: number, w: number): number;
  gather64(y: number, c0: number, c1: number, idx: number, i0: number, m: number, out: number): number;
}

const CHUNK = 65_536; // long-side rows per copy: 512 KiB of keys (+ values), cache-resident
/** Left sides longer than this take the JS path (the module's memory would hold 16 bytes per row). */
export const WASM_MERGE_MAX_LEFT = 1 << 22;

const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL('../wasm/merge.wasm', import.meta.url))), {}).exports as unknown as Exports;
const W = ((ex.__heap_base.value as number) + 15) & ~15; // the walk: i, j (int32), prev (int64)
const S = W + 16, Y = S + (CHUNK + 1) * 8, T = Y + (CHUNK + 1) * 8;

function layout(m: number): { out: number; end: number } {
  const out = T + m * 8, end = out + m * 8;
  if (ex.memory.buffer.byteLength < end) ex.memory.grow(Math.ceil((end - ex.memory.buffer.byteLength) / 65_536));
  return { out, end };
}

const bytes = (a: BigInt64Array | Float64Array, from: number, to: number) => new Uint8Array(a.buffer, a.byteOffset + from * 8, (to - from) * 8);

/**
 * One walk over the right side: left keys copied in once, then the right keys (and values `y`,
 * when given) chunk by chunk, each chunk with the row before it (ov = 1), and `step` run on each
 * (its arguments: ov, the rows in memory, the global row of the first, whether it is the last).
 * Stops at the first step that does not return 1, and returns that.
 */
function walk(t: BigInt64Array, s: BigInt64Array, y: Float64Array | null, step: (ov: number, len: number, g0: number, final: number) => number): number {
  const n = s.length;
  const mem = start(t, s);
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const c1 = Math.min(n, c0 + CHUNK), ov = c0 > 0 ? 1 : 0;
    mem.set(bytes(s, c0 - ov, c1), S);
    if (y) mem.set(bytes(y, c0 - ov, c1), Y);
    const r = step(ov, c1 - c0 + ov, c0 - ov, c1 === n ? 1 : 0);
    if (r !== 1) return r;
  }
  return 1;
}

/** Start a walk: left keys copied in, i = 0, j = -1, prev = the first right key. */
function start(t: BigInt64Array, s: BigInt64Array): Uint8Array {
  const mem = new Uint8Array(ex.memory.buffer);
  mem.set(bytes(t, 0, t.length), T);
  const w = new Int32Array(ex.memory.buffer, W, 4);
  w[0] = 0;
  w[1] = -1;
  mem.set(bytes(s, 0, 1), W + 8);
  return mem;
}

/**
 * out[i] = the last row j of s with s[j] ≤ t[i], or -1, for ascending t; false when s does not
 * ascend (out is then meaningless). t.length ≤ WASM_MERGE_MAX_LEFT; s non-empty.
 */
export function lastAtMostI64Wasm(t: BigInt64Array, s: BigInt64Array, out: Int32Array): boolean {
  const m = t.length;
  const { out: O } = layout(m);
  const r = walk(t, s, null, (ov, len, g0, final) => ex.merge_le_i64(S, ov, len, g0, final, T, m, O, W));
  if (r !== 1) return false;
  out.set(new Int32Array(ex.memory.buffer, O, m));
  return true;
}

/**
 * numpy.interp of (s, y) at every t (ascending; s must ascend, with a span below 2^52), into out:
 * 1, or 0 when s does not ascend, or 2 when a NaN is met (a NaN sample or NaN result: the general
 * path decides). Same values as linearFromLe.
 */
export function interpI64Wasm(t: BigInt64Array, s: BigInt64Array, y: Float64Array, out: Float64Array): 0 | 1 | 2 {
  const m = t.length, n = s.length;
  const { out: O } = layout(m);
  const r = walk(t, s, y, (ov, len, g0, final) => ex.interp_i64(S, Y, ov, len, g0, final, n, T, m, O, W));
  if (r !== 1) return r as 0 | 2;
  out.set(new Float64Array(ex.memory.buffer, O, m));
  return 1;
}

/**
 * out[i] = values[idx[i]] for 8-byte values (bits copied as they are), 0 where idx[i] is -1; idx
 * must not decrease over its non-negative entries. The column is copied chunk by chunk, only the
 * chunks some index falls in. False when idx turns out not monotone (out is then partial). For
 * dense indices (an as-of join's answers): a JS gather of rows far apart in memory waits on each
 * miss, the chunk copies stream. idx.length ≤ WASM_MERGE_MAX_LEFT.
 */
export function gather64Wasm(values: BigInt64Array | Float64Array, idx: Int32Array, out: BigInt64Array | Float64Array): boolean {
  const m = idx.length, n = values.length;
  const { out: O } = layout(m);
  const mem = new Uint8Array(ex.memory.buffer);
  mem.set(new Uint8Array(idx.buffer, idx.byteOffset, m * 4), T);
  const ix = new Int32Array(ex.memory.buffer, T, m);
  let i = 0;
  while (i < m && ix[i]! < 0) i++;
  const lead = i;
  while (i < m) {
    // The chunk holding row idx[i] (chunks without any index are never copied).
    const c0 = ix[i]! - (ix[i]! % CHUNK), c1 = Math.min(n, c0 + CHUNK);
    mem.set(bytes(values, c0, c1), Y);
    i = ex.gather64(Y, c0, c1, T, i, m, O);
    if (i < 0) return false;
  }
  const dst = new Uint8Array(out.buffer, out.byteOffset, m * 8);
  dst.set(new Uint8Array(ex.memory.buffer, O + lead * 8, (m - lead) * 8), lead * 8);
  dst.fill(0, 0, lead * 8);
  return true;
}
