// image.grayscale: Pillow's luma (ITU-R 601-2), with 1 or 3 output channels (torchvision Grayscale).
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { grayscaleImage } from '../util/transforms.ts';

export type GrayscaleParams = ImageParams & { readonly channels?: 1 | 3 };

export const grayscaleDef = defineOp<GrayscaleParams>({
  name: 'image.grayscale',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 20 },
  validate(p) {
    if (p.channels !== undefined && p.channels !== 1 && p.channels !== 3) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `channels ${p.channels} must be 1 or 3`, { op: 'image.grayscale', fix: 'pass channels: 1 or 3' });
    }
  },
  kernel: imageKernel<GrayscaleParams>((img, p) => grayscaleImage(img, p.channels ?? 1)),
});

/** Convert images to grayscale (torchvision `Grayscale(num_output_channels)`). */
export function grayscale<C extends string, O extends string = C>(p: GrayscaleParams & { column: C; output?: O }): ImageCall<C, O> {
  return grayscaleDef.call(p);
}
