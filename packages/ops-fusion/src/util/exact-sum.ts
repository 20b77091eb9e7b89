// Exact summation (Shewchuk's non-overlapping partials, as in Python's math.fsum) and exact
// products (Dekker's two-product). Global statistics built on them are exactly the same whatever
// the batch size, row order or merge order — so a z-score filter never flips a borderline row
// because the data arrived in different batches.

/** An exact sum: non-overlapping partials in increasing magnitude, p[0..n). Structured-cloneable. */
export interface ExactSum { p: Float64Array; n: number }

export function exactSum(): ExactSum {
  return { p: new Float64Array(8), n: 0 };
}

/** Add x to an exact sum (in place). */
export function addExact(s: ExactSum, x: number): void {
  const p = s.p;
  let i = 0;
  const n = s.n;
  for (let j = 0; j < n; j++) {
    let y = p[j]!;
    if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t; }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  if (i >= p.length) { const q = new Float64Array(p.length * 2); q.set(p); s.p = q; }
  s.p[i] = x;
  s.n = i + 1;
}

/** The partials of an exact sum as an array (smallest first). */
export function partials(s: ExactSum): number[] {
  return Array.from(s.p.subarray(0, s.n));
}

/** The correctly rounded value of the exact sum held in partials (math.fsum's final step). */
export function roundExact(s: ExactSum): number {
  const p = s.p;
  let n = s.n;
  if (n === 0) return 0;
  let hi = p[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n]!;
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Round half to even across the cut: if the rest has the same sign as lo, hi may need a nudge.
  if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    const yr = x - hi;
    if (y === yr) hi = x;
  }
  return hi;
}

const SPLIT = 134217729; // 2^27 + 1

/** a·b as hi + lo exactly (no FMA needed). Exact unless the product overflows or underflows. */
export function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  let c = SPLIT * a;
  const ah = c - (c - a), al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b), bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return [p, e];
}

/** Merge exact sum b into a (in place). */
export function mergeExact(a: ExactSum, b: ExactSum): void {
  for (let j = 0; j < b.n; j++) addExact(a, b.p[j]!);
}

/** Exact Σ(x − mean)² · n = n·Σx² − (Σx)², correctly rounded, from exact Σx and Σx² partials. */
export function centeredSumTimesN(n: number, sum: ExactSum, sumSq: ExactSum): number {
  const acc = exactSum();
  for (const q of partials(sumSq)) { const [h, l] = twoProduct(q, n); addExact(acc, h); addExact(acc, l); }
  const s = partials(sum);
  for (const a of s) for (const b of s) { const [h, l] = twoProduct(a, b); addExact(acc, -h); addExact(acc, -l); }
  return roundExact(acc);
}
