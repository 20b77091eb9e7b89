// image.resize: exact size, shorter side (torchvision Resize(int)), or fit into a box (cover,
// contain, inside); nearest, bilinear, bicubic, lanczos3 with antialiasing.
import { defineOp } from '@modaflow/core';
import { imageColumn, readImages, type Img } from '../util/image.ts';
import { imageInputs, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { resizeImage, validateResize, type ResizeSpec } from '../util/resize-image.ts';

export type ResizeParams = ImageParams & ResizeSpec;

export const resizeDef = defineOp<ResizeParams>({
  name: 'image.resize',
  module: import.meta.url,
  description: 'resize uint8 HWC images',
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 2000 },
  validate: (p) => validateResize(p, 'image.resize'),
  async kernel(input, p, ctx) {
    const imgs = readImages(input, p.column);
    const out: (Img | null)[] = new Array(imgs.length).fill(null);
    for (let i = 0; i < imgs.length; i++) {
      const img = imgs[i];
      if (!img) continue;
      try { out[i] = await resizeImage(img, p); } catch (e) { ctx.rowError(i, e as Error, { column: p.column, code: 'MF_DECODE' }); }
    }
    return { columns: { [p.output ?? p.column]: imageColumn(out) } };
  },
});

/**
 * Resize images. `size: 256` scales the shorter side to 256 (torchvision `Resize(256)`);
 * `size: [h, w]` with `fit` fill/cover/contain/inside targets a box.
 *
 * @example
 * ds.map(resize({ column: 'image', size: 256, kernel: 'bilinear' }))
 */
export function resize<C extends string, O extends string = C>(p: ResizeParams & { column: C; output?: O }): ImageCall<C, O> {
  return resizeDef.call(p);
}
