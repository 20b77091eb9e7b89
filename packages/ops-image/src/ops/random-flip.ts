// image.random-flip: flip with probability p, drawn per row from the (seed, op, row) generator.
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { flipImage } from '../util/transforms.ts';

export type RandomFlipParams = ImageParams & {
  /** Probability of flipping (default 0.5). */
  readonly p?: number;
  readonly direction?: 'horizontal' | 'vertical';
  /** Mixed with the run's seed. */
  readonly seed?: number;
};

export const randomFlipDef = defineOp<RandomFlipParams>({
  name: 'image.random-flip',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 10 },
  validate(p) {
    if (p.p !== undefined && !(p.p >= 0 && p.p <= 1)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `p ${p.p} is not a probability`, { op: 'image.random-flip', fix: 'pass p in [0, 1]' });
    if (p.direction !== undefined && p.direction !== 'horizontal' && p.direction !== 'vertical') throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `direction '${p.direction}' is unknown`, { op: 'image.random-flip', fix: "use 'horizontal' or 'vertical'" });
  },
  kernel: imageKernel<RandomFlipParams>((img, p, ctx, i) => (ctx.random(i).float() < (p.p ?? 0.5) ? flipImage(img, p.direction ?? 'horizontal') : img)),
});

/** Random horizontal (default) or vertical flip (torchvision `RandomHorizontalFlip(p)`), seeded per row. */
export function randomFlip<C extends string, O extends string = C>(p: RandomFlipParams & { column: C; output?: O }): ImageCall<C, O> {
  return randomFlipDef.call(p);
}
