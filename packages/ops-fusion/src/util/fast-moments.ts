// Fast exact Σx and Σx² of float32 values, and the z-score keep test as an interval of float32
// values. Both give exactly what the per-value definitions give (exact-sum.ts, the |x − c|/s ≤ t
// test), so results stay independent of batch size, row order and worker count.
//
// Exact sums, block by block (≤ 512 values): let M = max |x| < 2^E. Every float32 x with
// |x| ≥ 2^(E−20) is a multiple of u = 2^(E−43) (its ulp is ≥ u) and |x| < 2^43·u, so plain float64
// sums of up to 512 of them stay below 2^52·u: exact. x² is exact in float64 (24-bit mantissa
// squared) and a multiple of u²; it is split into h = round(x², grid U = 2^(2E−43)) — exact via
// (x² + 1.5·2^52·U) − 1.5·2^52·U — and l = x² − h (exact, |l| ≤ U/2). Σh < 2^52·U and
// Σl < 2^51·u² are exact too. The three block sums then go into Shewchuk partials (exact-sum.ts).
// The rare values below 2^(E−20) (and zeros' neighbours) go straight to the partials.
import { addExact, type ExactSum } from './exact-sum.ts';

const BLOCK = 512;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** E such that m < 2^E, for a finite m > 0 (m a float32 value: normal in float64). */
function expAbove(m: number): number {
  F64[0] = m;
  return ((U32[1]! >>> 20) & 0x7ff) - 1023 + 1;
}

/**
 * Add the finite values of xs[from, to) to the exact sums; returns how many there were (NaN and
 * ±Infinity are no values and are skipped).
 */
export function addMomentsF32(xs: Float32Array, from: number, to: number, sum: ExactSum, sumSq: ExactSum): number {
  let count = 0;
  for (let b = from; b < to; b += BLOCK) {
    const e = Math.min(to, b + BLOCK);
    let m = 0;
    for (let i = b; i < e; i++) { const a = Math.abs(xs[i]!); if (a > m) m = a; } // NaN never wins
    if (m === Infinity) {
      m = 0;
      for (let i = b; i < e; i++) { const a = Math.abs(xs[i]!); if (a > m && a !== Infinity) m = a; }
    }
    if (m === 0) { // zeros (and non-values) only
      for (let i = b; i < e; i++) if (xs[i] === 0) count++;
      continue;
    }
    const E = expAbove(m);
    const T = 2 ** (E - 20);
    const C = 1.5 * 2 ** (2 * E + 9);
    let s0 = 0, s1 = 0, h0 = 0, h1 = 0, l0 = 0, l1 = 0, c = 0;
    let i = b;
    for (; i + 1 < e; i += 2) {
      const x = xs[i]!, y = xs[i + 1]!;
      const ax = Math.abs(x), ay = Math.abs(y);
      if (ax >= T && ay >= T && ay !== Infinity && ax !== Infinity) {
        const sx = x * x, sy = y * y;
        const hx = (sx + C) - C, hy = (sy + C) - C;
        s0 += x; s1 += y; h0 += hx; h1 += hy; l0 += sx - hx; l1 += sy - hy;
        c += 2;
      } else {
        c += slow(x, ax, sum, sumSq);
        c += slow(y, ay, sum, sumSq);
      }
    }
    if (i < e) { const x = xs[i]!; c += slow(x, Math.abs(x), sum, sumSq); }
    count += c;
    if (s0 !== 0) addExact(sum, s0);
    if (s1 !== 0) addExact(sum, s1);
    if (h0 !== 0) addExact(sumSq, h0);
    if (h1 !== 0) addExact(sumSq, h1);
    if (l0 !== 0) addExact(sumSq, l0);
    if (l1 !== 0) addExact(sumSq, l1);
  }
  return count;
}

function slow(x: number, a: number, sum: ExactSum, sumSq: ExactSum): number {
  if (!(a < Infinity)) return 0; // NaN, ±Infinity
  if (a === 0) return 1;
  // Off the block's grid: an exact add is always right (x² of a float32 is exact in float64).
  addExact(sum, x);
  addExact(sumSq, x * x);
  return 1;
}

/** The row test of the z-score filter: |x − c| / s ≤ t (s ≤ 0 or NaN: only x = c passes). */
export function zscoreKeeps(x: number, c: number, s: number, t: number): boolean {
  const d = Math.abs(x - c);
  const z = s > 0 ? d / s : d === 0 ? 0 : Infinity;
  return z <= t;
}

// float32 values in order ↔ integers ("ordinals"): −0 and +0 share 0.
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
function ord(x: number): number {
  F32[0] = x;
  const b = I32[0]!;
  return b >= 0 ? b : -(b & 0x7fffffff);
}
function fromOrd(k: number): number {
  I32[0] = k >= 0 ? k : (-k | 0x80000000);
  return F32[0]!;
}
const MAX_ORD = 0x7f7fffff; // largest finite float32

/**
 * The float32 values x that pass zscoreKeeps(x, c, s, t) form an interval (|x − c| and the
 * division are monotone on each side of c): its ends [lo, hi] as float32 values, or null when
 * empty. Found by bisection over float32 ordinals, so it is exact by construction.
 */
export function keptIntervalF32(c: number, s: number, t: number): [number, number] | null {
  if (Number.isNaN(c)) return null;
  const keeps = (k: number) => zscoreKeeps(fromOrd(k), c, s, t);
  // The float32 neighbours of c: a ≤ c ≤ b.
  const r = Math.max(-MAX_ORD, Math.min(MAX_ORD, ord(Math.fround(c))));
  let ka = r, kb = r;
  if (fromOrd(r) > c) ka = r - 1;
  if (fromOrd(r) < c) kb = r + 1;
  ka = Math.max(-MAX_ORD, ka); kb = Math.min(MAX_ORD, kb);
  const okA = ka >= -MAX_ORD && fromOrd(ka) <= c && keeps(ka);
  const okB = kb <= MAX_ORD && fromOrd(kb) >= c && keeps(kb);
  if (!okA && !okB) return null;
  // hi: last passing ordinal at or above the start; lo: first passing at or below.
  let hi: number, lo: number;
  if (okB) {
    let a = kb, z = MAX_ORD + 1; // keeps(a), !keeps(z) (z past the end)
    while (z - a > 1) { const m = a + Math.floor((z - a) / 2); if (keeps(m)) a = m; else z = m; }
    hi = a;
  } else hi = ka;
  if (okA) {
    let a = ka, z = -MAX_ORD - 1;
    while (a - z > 1) { const m = a - Math.floor((a - z) / 2); if (keeps(m)) a = m; else z = m; }
    lo = a;
  } else lo = kb;
  return [fromOrd(lo), fromOrd(hi)];
}
