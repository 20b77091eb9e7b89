// image.random-rotation: torchvision RandomRotation — an angle uniform in the range, drawn per row
// from the (seed, op, row) generator; same size, uncovered pixels filled.
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { rotateImage } from '../util/transforms.ts';

export type RandomRotationParams = ImageParams & {
  /** d: angle in [-d, d]; or [min, max] degrees. */
  readonly degrees: number | readonly [number, number];
  readonly interpolation?: 'nearest' | 'bilinear';
  readonly fill?: readonly number[];
  readonly seed?: number;
};

const bounds = (d: RandomRotationParams['degrees']): [number, number] => (typeof d === 'number' ? [-d, d] : [d[0], d[1]]);

export const randomRotationDef = defineOp<RandomRotationParams>({
  name: 'image.random-rotation',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 200 },
  validate(p) {
    const [a, b] = bounds(p.degrees);
    if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b) || (typeof p.degrees === 'number' && p.degrees < 0)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `degrees ${JSON.stringify(p.degrees)} is not a range`, { op: 'image.random-rotation', fix: 'pass degrees: 15 or degrees: [-10, 30]' });
    }
  },
  kernel: imageKernel<RandomRotationParams>((img, p, ctx, i) => {
    const [a, b] = bounds(p.degrees);
    return rotateImage(img, ctx.random(i).uniform(a, b), p.interpolation ?? 'nearest', p.fill ?? [0]);
  }),
});

/** Random rotation (torchvision `RandomRotation`), seeded per row. */
export function randomRotation<C extends string, O extends string = C>(p: RandomRotationParams & { column: C; output?: O }): ImageCall<C, O> {
  return randomRotationDef.call(p);
}
