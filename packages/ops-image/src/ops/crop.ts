// image.crop: a fixed box; a box that leaves the image is a row error unless `fill` pads it.
import { defineOp, InvalidArgumentError, OpError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { cropImage } from '../util/transforms.ts';

export type CropParams = ImageParams & {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  /** Fill for parts of the box outside the image; without it such a box is a row error. */
  readonly fill?: readonly number[];
};

export const cropDef = defineOp<CropParams>({
  name: 'image.crop',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 20 },
  validate(p) {
    if (![p.top, p.left].every(Number.isInteger) || ![p.height, p.width].every((v) => Number.isInteger(v) && v > 0)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `crop box top=${p.top} left=${p.left} height=${p.height} width=${p.width} is not integral and positive`, { op: 'image.crop', fix: 'pass integer top/left and positive integer height/width' });
    }
  },
  kernel: imageKernel<CropParams>((img, p) => {
    const inside = p.top >= 0 && p.left >= 0 && p.top + p.height <= img.height && p.left + p.width <= img.width;
    if (!inside && !p.fill) {
      throw Object.assign(new OpError('MF_INVALID_ARGUMENT', `crop box [top ${p.top}, left ${p.left}, ${p.height}×${p.width}] leaves the ${img.height}×${img.width} image`, {
        op: 'image.crop', column: p.column, fix: 'resize first, use centerCrop, or pass fill to pad',
      }));
    }
    return cropImage(img, p.top, p.left, p.height, p.width, p.fill ?? [0]);
  }),
});

/** Crop the box `[top, left, height, width]` (torchvision `F.crop`). */
export function crop<C extends string, O extends string = C>(p: CropParams & { column: C; output?: O }): ImageCall<C, O> {
  return cropDef.call(p);
}
