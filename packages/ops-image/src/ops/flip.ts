// image.flip: mirror horizontally (left ↔ right) or vertically (top ↔ bottom).
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { flipImage } from '../util/transforms.ts';

export type FlipParams = ImageParams & { readonly direction: 'horizontal' | 'vertical' };

export const flipDef = defineOp<FlipParams>({
  name: 'image.flip',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 10 },
  validate(p) {
    if (p.direction !== 'horizontal' && p.direction !== 'vertical') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `direction '${p.direction}' is unknown`, { op: 'image.flip', fix: "use 'horizontal' or 'vertical'" });
    }
  },
  kernel: imageKernel<FlipParams>((img, p) => flipImage(img, p.direction)),
});

/** Flip images (torchvision `hflip` / `vflip`). */
export function flip<C extends string, O extends string = C>(p: FlipParams & { column: C; output?: O }): ImageCall<C, O> {
  return flipDef.call(p);
}
