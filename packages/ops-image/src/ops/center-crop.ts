// image.center-crop: torchvision CenterCrop (offsets rounded like Python; zero-padded when the
// image is smaller than the crop).
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { centerCropImage } from '../util/transforms.ts';

export type CenterCropParams = ImageParams & {
  /** Crop size: a number for a square, or [height, width]. */
  readonly size: number | readonly [number, number];
};

export const centerCropDef = defineOp<CenterCropParams>({
  name: 'image.center-crop',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 20 },
  validate(p) {
    const s = typeof p.size === 'number' ? [p.size, p.size] : p.size;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `size ${JSON.stringify(p.size)} is not a positive integer or [height, width]`, { op: 'image.center-crop', fix: 'pass size: 224 or size: [224, 224]' });
    }
  },
  kernel: imageKernel<CenterCropParams>((img, p) => {
    const [h, w] = typeof p.size === 'number' ? [p.size, p.size] : p.size;
    return centerCropImage(img, h, w);
  }),
});

/**
 * Crop the centre `size` of each image (torchvision `CenterCrop`).
 *
 * @example
 * ds.map(centerCrop({ column: 'image', size: 224 }))
 */
export function centerCrop<C extends string, O extends string = C>(p: CenterCropParams & { column: C; output?: O }): ImageCall<C, O> {
  return centerCropDef.call(p);
}
