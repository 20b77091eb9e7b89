// uint8 HWC images → the tensors of image.to-tensor (float32 scaled/normalized or uint8, CHW or
// HWC, fixed or variable shape). Shared by image.to-tensor and by image.decode when it has
// absorbed a to-tensor: the decode then writes each image straight into the batch's tensor
// buffer, with no uint8 image column in between.
import * as arrow from 'apache-arrow';
import { dt, InvalidArgumentError, OpError, toArrowType, type KernelInput, type Tensor } from '@modaflow/core';
import { floatColumn, imageF32, type Img, type Layout } from './image.ts';
import { pixelKernels } from './wasm.ts';

let engine: 'auto' | 'js' = process.env['MODAFLOW_TENSOR'] === 'js' ? 'js' : 'auto';
/** Force the JS conversion (tests compare it with the WASM one). */
export function setTensorEngine(e: 'auto' | 'js'): void { engine = e; }

type ArrowData = ReturnType<KernelInput['data']>;

/** What image.to-tensor produces (its params without the columns). */
export interface TensorSpec {
  /** 'CHW' (default, what torch models take) or 'HWC'. */
  readonly layout?: Layout;
  /** 'float32' (default): values / 255 (unless scale is false). 'uint8': only the layout changes. */
  readonly dtype?: 'float32' | 'uint8';
  /** Divide by 255 for float32 output (default true). */
  readonly scale?: boolean;
  /** Per-channel mean and std applied after scaling (torchvision Normalize, fused). float32 only. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** A fixed output shape (in the output layout): the column becomes a fixed-shape tensor; other rows are errors. */
  readonly shape?: readonly [number, number, number];
}

/** The output dtype of a tensor spec. */
export function tensorType(p: TensorSpec) {
  const item = p.dtype === 'uint8' ? dt.uint8() : dt.float32();
  const names = (p.layout ?? 'CHW') === 'CHW' ? ['C', 'H', 'W'] : ['H', 'W', 'C'];
  if (p.shape) return dt.tensor(item, p.shape, { dimNames: names });
  return p.dtype === 'uint8' ? dt.varTensor(dt.uint8(), 3, { dimNames: names }) : imageF32(p.layout ?? 'CHW');
}

/**
 * The float32 value of each (channel, uint8 level): v / 255 (or v), then (x - mean) / std, with
 * torch's float32 roundings after each step (so a table lookup gives ToTensor + Normalize bit for bit).
 */
function levels(p: TensorSpec, C: number): Float32Array {
  const scale = p.scale !== false;
  const lut = new Float32Array(C * 256);
  for (let c = 0; c < C; c++) {
    const m = p.mean ? Math.fround(p.mean.length === 1 ? p.mean[0]! : p.mean[c]!) : 0;
    const s = p.std ? Math.fround(p.std.length === 1 ? p.std[0]! : p.std[c]!) : 1;
    for (let v = 0; v < 256; v++) {
      const x = scale ? Math.fround(v / 255) : v;
      lut[c * 256 + v] = p.mean ? Math.fround(x - m) / s : x;
    }
  }
  return lut;
}

/** Converts images of one batch into a tensor column, row by row, in any order. */
export class TensorBuilder {
  private readonly chw: boolean;
  private readonly f32: boolean;
  private readonly size: number;
  private readonly flat: Float32Array | Uint8Array | null;
  private readonly rows: (Tensor | null)[];
  private readonly valid: Uint8Array;
  private readonly luts = new Map<number, Float32Array>();

  constructor(private readonly p: TensorSpec, private readonly numRows: number, private readonly column: string, private readonly op: string) {
    this.chw = (p.layout ?? 'CHW') === 'CHW';
    this.f32 = p.dtype !== 'uint8';
    this.size = p.shape ? p.shape[0] * p.shape[1] * p.shape[2] : 0;
    // With a fixed shape every row is written straight into the column's single buffer.
    this.flat = p.shape ? (this.f32 ? new Float32Array(numRows * this.size) : new Uint8Array(numRows * this.size)) : null;
    this.rows = new Array(numRows).fill(null);
    this.valid = new Uint8Array(numRows);
  }

  /** Converts the image of row `i`; throws a coded error when it does not fit the declared shape. */
  put(img: Img, i: number): void {
    const { p, chw } = this;
    const { data, width: W, height: H, channels: C } = img;
    const shape = chw ? [C, H, W] : [H, W, C];
    if (p.shape && !shape.every((d, k) => d === p.shape![k])) {
      throw new OpError('MF_DTYPE_MISMATCH', `image of shape [${shape.join(', ')}] does not fit the declared tensor shape [${p.shape.join(', ')}]`, {
        op: this.op, column: this.column, fix: 'resize/crop to that size first (e.g. centerCrop), or drop the fixed shape',
      });
    }
    if (p.mean && p.mean.length !== 1 && p.mean.length !== C) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `mean/std have ${p.mean.length} entries for an image with ${C} channels`, { fix: 'give one mean/std per channel (or one for all)' });
    }
    const out = this.flat ? this.flat.subarray(i * this.size, (i + 1) * this.size) : this.f32 ? new Float32Array(data.length) : new Uint8Array(data.length);
    const n = W * H;
    const simd = this.f32 && engine === 'auto' ? pixelKernels() : null;
    if (simd) {
      const pick = (v: readonly number[] | undefined) => (v ? Array.from({ length: C }, (_, c) => Math.fround(v.length === 1 ? v[0]! : v[c]!)) : null);
      simd.toFloat(data, n, C, chw, p.scale !== false, pick(p.mean), pick(p.std), out as Float32Array);
    } else if (this.f32) {
      let lut = this.luts.get(C);
      if (!lut) this.luts.set(C, (lut = levels(p, C)));
      const o32 = out as Float32Array;
      if (chw) {
        for (let c = 0; c < C; c++) {
          const o = c * n, l = c * 256;
          for (let q = 0, s = c; q < n; q++, s += C) o32[o + q] = lut[l + data[s]!]!;
        }
      } else {
        for (let q = 0, s = 0; q < n; q++) for (let c = 0; c < C; c++, s++) o32[s] = lut[c * 256 + data[s]!]!;
      }
    } else if (chw) {
      for (let c = 0; c < C; c++) {
        const o = c * n;
        for (let q = 0, s = c; q < n; q++, s += C) out[o + q] = data[s]!;
      }
    } else out.set(data);
    this.rows[i] = { data: out, shape } as Tensor;
    this.valid[i] = 1;
  }

  /** The column: rows never put (null, or rejected) are null. */
  build(): ArrowData {
    const t = tensorType(this.p);
    if (t.kind === 'varTensor' && t.item.kind === 'float32') return floatColumn(t as ReturnType<typeof imageF32>, this.rows as (Tensor<Float32Array> | null)[]);
    if (t.kind === 'varTensor') return this.rows as unknown as ArrowData;
    const valid = this.valid;
    const child = arrow.makeData({ type: toArrowType(t.item) as arrow.Float32, length: this.flat!.length, nullCount: 0, data: this.flat as Float32Array });
    let nulls = 0;
    for (let k = 0; k < valid.length; k++) nulls += 1 - valid[k]!;
    let bitmap: Uint8Array | null = null;
    if (nulls) { bitmap = new Uint8Array((valid.length + 7) >> 3); valid.forEach((v, k) => { if (v) bitmap![k >> 3]! |= 1 << (k & 7); }); }
    return arrow.makeData({ type: toArrowType(t) as arrow.FixedSizeList, length: this.numRows, nullCount: nulls, nullBitmap: bitmap, child });
  }
}
