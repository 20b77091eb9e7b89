// image.to-tensor: uint8 HWC image → float32 (scaled to [0, 1], as torchvision ToTensor) or uint8
// tensor in CHW or HWC layout; optionally normalized in the same pass, optionally of a fixed shape.
import { defineOp, dt, InvalidArgumentError, type FixedShapeTensor, type Float32, type OpCall, type Uint8, type VariableShapeTensor } from '@modaflow/core';
import { readImages, mapRows, type ImageU8 } from '../util/image.ts';
import { checkMeanStd } from '../util/normalize.ts';
import { TensorBuilder, tensorType, type TensorSpec } from '../util/tensor.ts';

export interface ToTensorParams extends TensorSpec {
  readonly column: string;
  readonly output?: string;
}

export const toTensorDef = defineOp<ToTensorParams>({
  name: 'image.to-tensor',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.varTensor(dt.uint8(), 3) }),
  outputs: (p) => ({ [p.output ?? p.column]: tensorType(p) }),
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
    const out = new TensorBuilder(p, input.numRows, p.column, 'image.to-tensor');
    mapRows(readImages(input, p.column), ctx, p.column, (img, i) => out.put(img, i));
    return { columns: { [p.output ?? p.column]: out.build() } };
  },
});

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
