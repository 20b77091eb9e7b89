// image.random-resized-crop: torchvision RandomResizedCrop — a random area fraction and aspect
// ratio (10 tries, then the central fallback), cropped and resized to `size`; drawn per row from
// the (seed, op, row) generator.
import { defineOp, InvalidArgumentError, type Rng } from '@modaflow/core';
import { pyRound } from '../util/image.ts';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { cropImage, resizeExact } from '../util/transforms.ts';
import type { ResizeKernel } from '../util/resize-image.ts';

export type RandomResizedCropParams = ImageParams & {
  /** Output size: a number for a square, or [height, width]. */
  readonly size: number | readonly [number, number];
  /** Range of the crop's area as a fraction of the image (default [0.08, 1]). */
  readonly scale?: readonly [number, number];
  /** Range of the crop's aspect ratio w/h (default [3/4, 4/3]). */
  readonly ratio?: readonly [number, number];
  readonly kernel?: ResizeKernel;
  readonly antialias?: boolean;
  readonly seed?: number;
};

/** torchvision's RandomResizedCrop.get_params: [top, left, height, width]. */
export function resizedCropBox(rng: Rng, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]): [number, number, number, number] {
  const area = height * width;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let k = 0; k < 10; k++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logR[0], logR[1]));
    const w = pyRound(Math.sqrt(target * aspect));
    const h = pyRound(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return [rng.int(0, height - h), rng.int(0, width - w), h, w];
    }
  }
  const inRatio = width / height;
  let w: number, h: number;
  if (inRatio < Math.min(...ratio)) { w = width; h = pyRound(w / Math.min(...ratio)); }
  else if (inRatio > Math.max(...ratio)) { h = height; w = pyRound(h * Math.max(...ratio)); }
  else { w = width; h = height; }
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

export const randomResizedCropDef = defineOp<RandomResizedCropParams>({
  name: 'image.random-resized-crop',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 1500 },
  validate(p) {
    const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'image.random-resized-crop', fix }); };
    const s = typeof p.size === 'number' ? [p.size, p.size] : p.size;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) bad(`size ${JSON.stringify(p.size)} is not valid`, 'pass size: 224 or [h, w]');
    const range = (r: readonly number[] | undefined, name: string): void => {
      if (r !== undefined && !(r.length === 2 && r[0]! > 0 && r[0]! <= r[1]!)) bad(`${name} ${JSON.stringify(r)} is not a positive [min, max]`, `pass ${name}: [min, max] with 0 < min <= max`);
    };
    range(p.scale, 'scale');
    range(p.ratio, 'ratio');
  },
  kernel: imageKernel<RandomResizedCropParams>((img, p, ctx, i) => {
    const [oh, ow] = typeof p.size === 'number' ? [p.size, p.size] : p.size;
    const [top, left, h, w] = resizedCropBox(ctx.random(i), img.height, img.width, p.scale ?? [0.08, 1], p.ratio ?? [3 / 4, 4 / 3]);
    return resizeExact(cropImage(img, top, left, h, w), ow, oh, p.kernel ?? 'bilinear', p.antialias ?? true);
  }),
});

/** Random resized crop (torchvision `RandomResizedCrop`), seeded per row. */
export function randomResizedCrop<C extends string, O extends string = C>(p: RandomResizedCropParams & { column: C; output?: O }): ImageCall<C, O> {
  return randomResizedCropDef.call(p);
}
