// image.pad: torchvision Pad (constant, edge, reflect, symmetric).
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { padImage, type PadMode } from '../util/transforms.ts';

export type PadParams = ImageParams & {
  /** A number for all sides, [horizontal, vertical], or [left, top, right, bottom] (torchvision order). */
  readonly padding: number | readonly [number, number] | readonly [number, number, number, number];
  readonly mode?: PadMode;
  /** Constant fill per channel (default 0). */
  readonly fill?: readonly number[];
};

function sides(p: PadParams['padding']): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

export const padDef = defineOp<PadParams>({
  name: 'image.pad',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 20 },
  validate(p) {
    const s = typeof p.padding === 'number' || (Array.isArray(p.padding) && (p.padding.length === 2 || p.padding.length === 4)) ? sides(p.padding) : null;
    if (!s || !s.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `padding ${JSON.stringify(p.padding)} is not valid`, { op: 'image.pad', fix: 'pass a non-negative integer, [h, v] or [left, top, right, bottom]' });
    }
    if (p.mode !== undefined && !['constant', 'edge', 'reflect', 'symmetric'].includes(p.mode)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `pad mode '${p.mode}' is unknown`, { op: 'image.pad', fix: 'use constant, edge, reflect or symmetric' });
    }
  },
  kernel: imageKernel<PadParams>((img, p) => padImage(img, sides(p.padding), p.mode ?? 'constant', p.fill ?? [0])),
});

/** Pad images (torchvision `Pad`). */
export function pad<C extends string, O extends string = C>(p: PadParams & { column: C; output?: O }): ImageCall<C, O> {
  return padDef.call(p);
}
