// image.normalize: per-channel (x - mean) / std on float32 tensors (torchvision Normalize), or the
// inverse x * std + mean.
import { defineOp, dt, OpError, type FixedShapeTensor, type Float32, type OpCall, type Tensor } from '@modaflow/core';
import { floatColumn, imageF32, mapRows, readTensors, type ImageF32, type Layout } from '../util/image.ts';
import { checkMeanStd, normalizeInPlace } from '../util/normalize.ts';

export interface NormalizeParams {
  readonly column: string;
  readonly output?: string;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Layout of the input tensor (default 'CHW'). */
  readonly layout?: Layout;
  /** Undo a normalization instead: x * std + mean. */
  readonly inverse?: boolean;
  /** The input is a fixed-shape tensor of this shape (as toTensor's `shape` makes). */
  readonly shape?: readonly [number, number, number];
}

const inType = (p: NormalizeParams) => (p.shape ? dt.tensor(dt.float32(), p.shape) : imageF32(p.layout ?? 'CHW'));

export const normalizeDef = defineOp<NormalizeParams>({
  name: 'image.normalize',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: inType(p) }),
  outputs: (p, input) => ({ [p.output ?? p.column]: input[p.column] ?? inType(p) }),
  properties: { costPerRow: 150 },
  validate: (p) => checkMeanStd(p.mean, p.std, 'image.normalize'),
  kernel(input, p, ctx) {
    const chw = (p.layout ?? 'CHW') === 'CHW';
    const rows = mapRows(readTensors(input, p.column), ctx, p.column, (t) => {
      const channels = chw ? t.shape[0]! : t.shape[2]!;
      if (p.mean.length !== 1 && p.mean.length !== channels) {
        throw new OpError('MF_INVALID_ARGUMENT', `mean/std have ${p.mean.length} entries for a tensor with ${channels} channels (shape [${t.shape.join(', ')}], layout ${chw ? 'CHW' : 'HWC'})`, {
          op: 'image.normalize', column: p.column, fix: 'give one mean/std per channel, or set layout to match the tensor',
        });
      }
      const out = t.data.slice();
      normalizeInPlace(out, channels, chw, p.mean, p.std, p.inverse ?? false);
      return { data: out, shape: t.shape } as Tensor<Float32Array>;
    });
    const name = p.output ?? p.column;
    const t = input.schema[p.column]!;
    if (t.kind === 'varTensor') return { columns: { [name]: floatColumn(t as ImageF32, rows) } };
    // Fixed-shape rows are copied into one buffer by the executor either way.
    return { columns: { [name]: rows } };
  },
});

type In<S> = S extends readonly [number, number, number] ? FixedShapeTensor<Float32, S> : ImageF32;

/**
 * Normalize float32 image tensors per channel (torchvision `Normalize`).
 *
 * @example
 * ds.map(normalize({ column: 'pixels', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }))
 */
export function normalize<C extends string, O extends string = C, const S extends readonly [number, number, number] | undefined = undefined>(
  p: NormalizeParams & { column: C; output?: O; shape?: S },
): OpCall<{ [K in C]: In<S> }, { [K in O]: In<S> }> {
  return normalizeDef.call(p);
}
