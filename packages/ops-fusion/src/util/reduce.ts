// Per-row values of a column as float64: scalars as they are, tensors reduced to one number
// (RMS of an audio clip, mean of a feature vector). NaN stands for "no value".
import type { DType, KernelInput, Tensor } from '@modaflow/core';
import { isValid } from '@modaflow/core';
import { numericColumn } from './columns.ts';

/** How a tensor row becomes one number. */
export type Reduction = 'rms' | 'mean' | 'l2' | 'max-abs';

export function reduceTensor(data: ArrayLike<number | bigint>, how: Reduction): number {
  const n = data.length;
  if (n === 0) return NaN;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(data[i]!);
    if (how === 'mean') acc += x;
    else if (how === 'max-abs') acc = Math.max(acc, Math.abs(x));
    else acc += x * x;
  }
  if (how === 'mean') return acc / n;
  if (how === 'rms') return Math.sqrt(acc / n);
  if (how === 'l2') return Math.sqrt(acc);
  return acc;
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
  void isValid;
  return out;
}
