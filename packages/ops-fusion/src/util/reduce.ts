// Per-row values of a column as float64: scalars as they are, tensors reduced to one number
// (RMS of an audio clip, mean of a feature vector). NaN stands for "no value".
import type { DType, KernelInput, Tensor } from '@modaflow/core';
import { numericColumn } from './columns.ts';

/** How a tensor row becomes one number. */
export type Reduction = 'rms' | 'mean' | 'l2' | 'max-abs';

/** v·2^k, exact while the result is normal, in steps that stay finite (2^k alone overflows past k = 1023). */
export function timesPow2(v: number, k: number): number {
  while (k !== 0 && v !== 0) { const s = Math.max(-1000, Math.min(1000, k)); v *= 2 ** s; k -= s; }
  return v;
}

/** The k that brings a largest magnitude a outside [2^-500, 2^500] into [1, 2) (0 inside, or for 0, NaN, ∞). */
export function rescaleExponent(a: number): number {
  return Number.isFinite(a) && (a > 2 ** 500 || (a > 0 && a < 2 ** -500)) ? -Math.floor(Math.log2(a)) : 0;
}

// Outside [2^-500, 2^500] the squares (or a sum of millions of values) could underflow or overflow.
const SMALL = 2 ** -500, LARGE = 2 ** 500;

/**
 * One number from a tensor row. rms, l2 and mean first scale the values by a power of two near
 * their largest magnitude (as hypot does): without it a finite row can give Infinity (x² overflows
 * from |x| ≈ 1.3e154) or 0 (x² underflows), and Infinity then counts as "no value" and the row is
 * dropped without a word. Scaling by a power of two is exact, and rows whose magnitudes need none
 * give the very bits of the plain sums. NaN in, NaN out; ±Infinity in, what the plain sums give.
 */
export function reduceTensor(data: ArrayLike<number | bigint>, how: Reduction): number {
  const n = data.length;
  if (n === 0) return NaN;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(Number(data[i]!))); // NaN sticks
  if (how === 'max-abs') return max;
  if (how !== 'mean' && !(max < Infinity)) return max; // NaN, or Infinity
  // 2^e near max (log2 may be one off: the scaled values stay within [0.5, 4)); 2^0 in range.
  const e = max < Infinity && (max > LARGE || (max > 0 && max < SMALL)) ? Math.min(1023, Math.max(-1022, Math.floor(Math.log2(max)))) : 0;
  const down = 2 ** -e;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(data[i]!) * down;
    acc += how === 'mean' ? x : x * x;
  }
  const r = how === 'mean' ? acc / n : how === 'rms' ? Math.sqrt(acc / n) : Math.sqrt(acc);
  return r * 2 ** e;
}

/** One float64 per row; null, NaN and ±Infinity become NaN (no value). */
export function rowValues(input: KernelInput, column: string, t: DType, how: Reduction | undefined): Float64Array {
  const n = input.numRows;
  const out = new Float64Array(n);
  if (t.kind === 'tensor' || t.kind === 'varTensor') {
    const vals = input.values(column) as (Tensor | null)[];
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      const r = v ? reduceTensor(v.data, how ?? 'rms') : NaN;
      out[i] = Number.isFinite(r) ? r : NaN;
    }
    return out;
  }
  const d = input.data(column);
  const { values, valid } = numericColumn(t, d);
  for (let i = 0; i < n; i++) out[i] = valid[i] && Number.isFinite(values[i]!) ? values[i]! : NaN;
  return out;
}
