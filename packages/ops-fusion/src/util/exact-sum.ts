// Exact summation (Shewchuk's non-overlapping partials, as in Python's math.fsum) and exact
// products (Dekker's two-product). Global statistics built on them are exactly the same whatever
// the batch size, row order or merge order — so a z-score filter never flips a borderline row
// because the data arrived in different batches.

/** Add x to the partials p (in place), keeping the represented sum exact. */
export function addExact(p: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j]!;
    if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t; }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  p.length = i;
  p.push(x);
}

/** The correctly rounded value of the exact sum held in partials (math.fsum's final step). */
export function roundExact(p: readonly number[]): number {
  let n = p.length;
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

/** Merge partials b into a (in place). */
export function mergeExact(a: number[], b: readonly number[]): void {
  for (const x of b) addExact(a, x);
}

/** Exact Σ(x − mean)² · n = n·Σx² − (Σx)², correctly rounded, from exact Σx and Σx² partials. */
export function centeredSumTimesN(n: number, sum: readonly number[], sumSq: readonly number[]): number {
  const acc: number[] = [];
  for (const q of sumSq) { const [h, l] = twoProduct(q, n); addExact(acc, h); addExact(acc, l); }
  for (const a of sum) for (const b of sum) { const [h, l] = twoProduct(a, b); addExact(acc, -h); addExact(acc, -l); }
  return roundExact(acc);
}
