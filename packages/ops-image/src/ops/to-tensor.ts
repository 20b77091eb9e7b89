// image.to-tensor: uint8 HWC image → float32 (scaled to [0, 1], as torchvision ToTensor) or uint8
// tensor in CHW or HWC layout; optionally normalized in the same pass, optionally of a fixed shape.
import * as arrow from 'apache-arrow';
import { toArrowType, defineOp, dt, InvalidArgumentError, OpError, type FixedShapeTensor, type Float32, type OpCall, type Tensor, type Uint8, type VariableShapeTensor } from '@modaflow/core';
import { floatColumn, imageF32, readImages, mapRows, type ImageU8, type Layout } from '../util/image.ts';
import { checkMeanStd, normalizeInPlace } from '../util/normalize.ts';

export interface ToTensorParams {
  readonly column: string;
  readonly output?: string;
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

function outType(p: ToTensorParams) {
  const item = p.dtype === 'uint8' ? dt.uint8() : dt.float32();
  const names = (p.layout ?? 'CHW') === 'CHW' ? ['C', 'H', 'W'] : ['H', 'W', 'C'];
  if (p.shape) return dt.tensor(item, p.shape, { dimNames: names });
  return p.dtype === 'uint8' ? dt.varTensor(dt.uint8(), 3, { dimNames: names }) : imageF32(p.layout ?? 'CHW');
}

export const toTensorDef = defineOp<ToTensorParams>({
  name: 'image.to-tensor',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.varTensor(dt.uint8(), 3) }),
  outputs: (p) => ({ [p.output ?? p.column]: outType(p) }),
  properties: { costPerRow: 300 },
  validate(p) {
    const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'image.to-tensor', fix }); };
    if (p.layout !== undefined && p.layout !== 'CHW' && p.layout !== 'HWC') bad(`layout '${p.layout}' is unknown`, "use 'CHW' or 'HWC'");
    if (p.dtype !== undefined && p.dtype !== 'float32' && p.dtype !== 'uint8') bad(`dtype '${p.dtype}' is unknown`, "use 'float32' or 'uint8'");
    if ((p.mean || p.std) && p.dtype === 'uint8') bad('mean/std need float32 output', "drop dtype: 'uint8' or normalize later");
    if (p.mean || p.std) checkMeanStd(p.mean, p.std, 'image.to-tensor');
    if (p.shape && !(p.shape.length === 3 && p.shape.every((d) => Number.isInteger(d) && d > 0))) bad(`shape ${JSON.stringify(p.shape)} is not three positive integers`, 'pass shape: [3, 224, 224]');
  },
  kernel(input, p, ctx) {
    const chw = (p.layout ?? 'CHW') === 'CHW';
    const f32 = p.dtype !== 'uint8';
    const scale = f32 && p.scale !== false;
    // With a fixed shape every row is written straight into the column's single buffer.
    const size = p.shape ? p.shape[0] * p.shape[1] * p.shape[2] : 0;
    const flat = p.shape ? (f32 ? new Float32Array(input.numRows * size) : new Uint8Array(input.numRows * size)) : null;
    const rows = mapRows(readImages(input, p.column), ctx, p.column, (img, i) => {
      const { data, width: W, height: H, channels: C } = img;
      const shape = chw ? [C, H, W] : [H, W, C];
      if (p.shape && !shape.every((d, k) => d === p.shape![k])) {
        throw new OpError('MF_DTYPE_MISMATCH', `image of shape [${shape.join(', ')}] does not fit the declared tensor shape [${p.shape.join(', ')}]`, {
          op: 'image.to-tensor', column: p.column, fix: 'resize/crop to that size first (e.g. centerCrop), or drop the fixed shape',
        });
      }
      const out = flat ? flat.subarray(i * size, (i + 1) * size) : f32 ? new Float32Array(data.length) : new Uint8Array(data.length);
      const n = W * H;
      if (chw && scale && p.mean && p.std && (p.mean.length === C || p.mean.length === 1)) {
        // One pass: the same float32 roundings as ToTensor then Normalize.
        normalizedPlanes(data, out as Float32Array, C, n, p.mean, p.std);
        return { data: out, shape } as Tensor;
      }
      if (chw) {
        for (let c = 0; c < C; c++) {
          const o = c * n;
          for (let q = 0, s = c; q < n; q++, s += C) out[o + q] = scale ? data[s]! / 255 : data[s]!;
        }
      } else if (scale) for (let q = 0; q < data.length; q++) out[q] = data[q]! / 255;
      else out.set(data);
      if (p.mean && p.std) normalizeInPlace(out as Float32Array, C, chw, p.mean, p.std, false);
      return { data: out, shape } as Tensor;
    });
    const name = p.output ?? p.column;
    const t = outType(p);
    if (t.kind === 'varTensor' && t.item.kind === 'float32') return { columns: { [name]: floatColumn(t as ReturnType<typeof imageF32>, rows as (Tensor<Float32Array> | null)[]) } };
    if (t.kind === 'varTensor') return { columns: { [name]: rows } };
    const valid = Uint8Array.from(rows, (r) => (r === null ? 0 : 1));
    const child = arrow.makeData({ type: toArrowType(t.item) as arrow.Float32, length: flat!.length, nullCount: 0, data: flat as Float32Array });
    const nulls = valid.length - valid.reduce((a, b) => a + b, 0);
    let bitmap: Uint8Array | null = null;
    if (nulls) { bitmap = new Uint8Array((valid.length + 7) >> 3); valid.forEach((v, k) => { if (v) bitmap![k >> 3]! |= 1 << (k & 7); }); }
    const built = arrow.makeData({ type: toArrowType(t) as arrow.FixedSizeList, length: input.numRows, nullCount: nulls, nullBitmap: bitmap, child });
    return { columns: { [name]: built } };
  },
});

/** uint8 HWC → float32 CHW, (v / 255 - mean) / std with torch's float32 roundings; monomorphic for speed. */
function normalizedPlanes(data: Uint8Array, out: Float32Array, C: number, n: number, mean: readonly number[], std: readonly number[]): void {
  for (let c = 0; c < C; c++) {
    const m = Math.fround(mean.length === 1 ? mean[0]! : mean[c]!), sd = Math.fround(std.length === 1 ? std[0]! : std[c]!);
    const o = c * n;
    for (let q = 0, s = c; q < n; q++, s += C) out[o + q] = Math.fround(Math.fround(data[s]! / 255) - m) / sd;
  }
}

type Item<D> = D extends 'uint8' ? Uint8 : Float32;
type Out<D, S> = S extends readonly [number, number, number] ? FixedShapeTensor<Item<D>, S> : VariableShapeTensor<Item<D>, 3>;

/**
 * Image to tensor (torchvision `ToTensor`, optionally fused with `Normalize`).
 *
 * @example
 * ds.map(toTensor({ column: 'image', output: 'pixels', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], shape: [3, 224, 224] }))
 */
export function toTensor<C extends string, O extends string = C, D extends 'float32' | 'uint8' = 'float32', const S extends readonly [number, number, number] | undefined = undefined>(
  p: ToTensorParams & { column: C; output?: O; dtype?: D; shape?: S },
): OpCall<{ [K in C]: ImageU8 }, { [K in O]: Out<D, S> }> {
  return toTensorDef.call(p);
}
