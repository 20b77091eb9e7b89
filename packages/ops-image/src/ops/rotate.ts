// image.rotate: counter-clockwise about the centre, same size (torchvision F.rotate on PIL images,
// expand=False); 'nearest' is bit-identical to Pillow.
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { rotateImage } from '../util/transforms.ts';

export type RotateParams = ImageParams & {
  readonly degrees: number;
  readonly interpolation?: 'nearest' | 'bilinear';
  /** Fill of uncovered pixels, per channel (default 0). */
  readonly fill?: readonly number[];
};

export const rotateDef = defineOp<RotateParams>({
  name: 'image.rotate',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 200 },
  validate(p) {
    if (!Number.isFinite(p.degrees)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `degrees ${p.degrees} is not finite`, { op: 'image.rotate', fix: 'pass an angle in degrees' });
    if (p.interpolation !== undefined && p.interpolation !== 'nearest' && p.interpolation !== 'bilinear') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `interpolation '${p.interpolation}' is unknown`, { op: 'image.rotate', fix: "use 'nearest' or 'bilinear'" });
    }
  },
  kernel: imageKernel<RotateParams>((img, p) => rotateImage(img, p.degrees, p.interpolation ?? 'nearest', p.fill ?? [0])),
});

/** Rotate images counter-clockwise by `degrees` (torchvision `F.rotate`, expand=False). */
export function rotate<C extends string, O extends string = C>(p: RotateParams & { column: C; output?: O }): ImageCall<C, O> {
  return rotateDef.call(p);
}
