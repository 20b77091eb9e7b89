// Image columns as kernels see them: uint8 HWC tensors (variable shape) read row by row without
// copying, and output columns assembled into one contiguous buffer.
import type { FixedShapeTensor, Float32, KernelInput, Tensor, Uint8, VariableShapeTensor } from '@modaflow/core';
import { dt, getValue, varTensorData } from '@modaflow/core';

type ArrowData = ReturnType<KernelInput['data']>;

/** A decoded image column: uint8, height × width × channels, shape per row. */
export type ImageU8 = VariableShapeTensor<Uint8, 3>;
/** A float image tensor column (CHW or HWC), shape per row. */
export type ImageF32 = VariableShapeTensor<Float32, 3>;
/** Any float32 rank-3 tensor column, fixed or variable shape. */
export type TensorF32 = ImageF32 | FixedShapeTensor<Float32>;

export const IMAGE_U8: ImageU8 = dt.varTensor(dt.uint8(), 3, { dimNames: ['H', 'W', 'C'] });
export const imageF32 = (layout: Layout): ImageF32 => dt.varTensor(dt.float32(), 3, { dimNames: layout === 'CHW' ? ['C', 'H', 'W'] : ['H', 'W', 'C'] });

export type Layout = 'CHW' | 'HWC';

/** One image: pixels row-major, interleaved channels. */
export interface Img {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** The images of a column (null where the row is null). The data are views into the batch. */
export function readImages(input: KernelInput, column: string): (Img | null)[] {
  const t = input.schema[column]!;
  const d = input.data(column);
  const out: (Img | null)[] = new Array(input.numRows);
  for (let i = 0; i < input.numRows; i++) {
    const v = getValue(t, d, i) as Tensor | null;
    out[i] = v === null ? null : { data: v.data as Uint8Array, height: v.shape[0]!, width: v.shape[1]!, channels: v.shape[2]! };
  }
  return out;
}

/** The float tensors of a column (null where the row is null). */
export function readTensors(input: KernelInput, column: string): (Tensor<Float32Array> | null)[] {
  const t = input.schema[column]!;
  const d = input.data(column);
  const out: (Tensor<Float32Array> | null)[] = new Array(input.numRows);
  for (let i = 0; i < input.numRows; i++) out[i] = getValue(t, d, i) as Tensor<Float32Array> | null;
  return out;
}

/** Builds an image column from per-row results (null = null row, including rejected rows). */
export function imageColumn(rows: readonly (Img | null)[]): ArrowData {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  const shapes = new Int32Array(n * 3);
  const valid = new Uint8Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r) {
      valid[i] = 1;
      shapes[i * 3] = r.height; shapes[i * 3 + 1] = r.width; shapes[i * 3 + 2] = r.channels;
      total += r.data.length;
    }
    offsets[i + 1] = total;
  }
  const flat = new Uint8Array(total);
  for (let i = 0; i < n; i++) { const r = rows[i]; if (r) flat.set(r.data, offsets[i]!); }
  return varTensorData(IMAGE_U8, n, flat, offsets, shapes, valid);
}

/** Builds a float32 rank-3 column (variable shape) from per-row tensors. */
export function floatColumn(t: ImageF32, rows: readonly (Tensor<Float32Array> | null)[]): ArrowData {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  const shapes = new Int32Array(n * 3);
  const valid = new Uint8Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r) { valid[i] = 1; for (let k = 0; k < 3; k++) shapes[i * 3 + k] = r.shape[k]!; total += r.data.length; }
    offsets[i + 1] = total;
  }
  const flat = new Float32Array(total);
  for (let i = 0; i < n; i++) { const r = rows[i]; if (r) flat.set(r.data, offsets[i]!); }
  return varTensorData(t, n, flat, offsets, shapes, valid);
}

/** Runs `fn` on every non-null row; a row whose fn throws becomes a per-row error with a code. */
export function mapRows<T, R>(
  rows: readonly (T | null)[],
  ctx: { rowError(row: number, reason: string | Error, opts?: { column?: string; code?: string }): void },
  column: string,
  fn: (v: T, i: number) => R,
): (R | null)[] {
  const out: (R | null)[] = new Array(rows.length).fill(null);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i];
    if (v === null || v === undefined) continue;
    try {
      out[i] = fn(v, i);
    } catch (e) {
      ctx.rowError(i, e as Error, { column, code: (e as { code?: string }).code ?? 'MF_ROW_ERROR' });
    }
  }
  return out;
}

/** Python's round(): halves go to the even neighbour (torchvision computes crop offsets with it). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
