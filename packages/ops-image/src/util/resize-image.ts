// The geometry and resampling of image.resize, shared with image.decode's absorbed resize
// (shrink-on-load) so both give the same pixels.
import type { Img } from './image.ts';
import { loadSharp } from './sharp.ts';
import { centerCropImage, centerOffset, cropImage, padImage, resizeExact, shorterSideSize } from './transforms.ts';
import { resamplePil, type Kernel } from './resample.ts';
import { InvalidArgumentError } from '@modaflow/core';

export type ResizeKernel = Exclude<Kernel, 'box'>;
/** fill: exact size; cover: scale to cover then centre-crop; contain: scale inside then pad; inside: scale inside. */
export type Fit = 'fill' | 'cover' | 'contain' | 'inside';

/** The resize part of the params: shared by image.resize and image.decode's `resize` option. */
export interface ResizeSpec {
  /** A number: the shorter side becomes this (torchvision `Resize(int)`); [height, width]: the target box. */
  readonly size: number | readonly [number, number];
  /** With a number size: cap on the longer side (torchvision `max_size`). */
  readonly maxSize?: number;
  /** How a [height, width] box is met (default 'fill': exactly that size). */
  readonly fit?: Fit;
  /** Default 'bilinear' (torchvision's default). */
  readonly kernel?: ResizeKernel;
  /** Widen the filter when downscaling (default true; Pillow always does). */
  readonly antialias?: boolean;
  /**
   * 'pil' (default): modaflow's port of Pillow's resampler, bit-identical to torchvision on PIL
   * images. 'vips': libvips through sharp, faster, within a few uint8 levels of Pillow.
   */
  readonly engine?: 'pil' | 'vips';
  /** Fill of 'contain' padding, per channel (default 0). */
  readonly background?: readonly number[];
}

const KERNELS = new Set(['nearest', 'bilinear', 'bicubic', 'lanczos3']);

export function validateResize(p: ResizeSpec, op: string): void {
  const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op, fix }); };
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  if (typeof p.size === 'number') { if (!posInt(p.size)) bad(`size ${p.size} is not a positive integer`, 'pass size: 256 or size: [224, 224]'); }
  else if (!Array.isArray(p.size) || p.size.length !== 2 || !p.size.every(posInt)) bad(`size ${JSON.stringify(p.size)} is not [height, width]`, 'pass size: [height, width] with positive integers');
  if (p.maxSize !== undefined && (!posInt(p.maxSize) || typeof p.size !== 'number' || p.maxSize <= p.size)) bad(`maxSize ${p.maxSize} needs a number size smaller than it`, 'use maxSize only with size: <shorter side>, and make it larger');
  if (p.kernel !== undefined && !KERNELS.has(p.kernel)) bad(`unknown kernel '${p.kernel}'`, 'use nearest, bilinear, bicubic or lanczos3');
  if (p.fit !== undefined && !['fill', 'cover', 'contain', 'inside'].includes(p.fit)) bad(`unknown fit '${p.fit}'`, 'use fill, cover, contain or inside');
  if (p.engine !== undefined && p.engine !== 'pil' && p.engine !== 'vips') bad(`unknown engine '${p.engine}'`, "use 'pil' or 'vips'");
  if (p.engine === 'vips' && p.antialias === false) bad('libvips always antialiases when downscaling', "use engine 'pil' for antialias: false");
}

/** The size the image is scaled to (before any cover crop / contain pad), as [width, height]. */
export function scaledSize(w: number, h: number, p: ResizeSpec): [number, number] {
  if (typeof p.size === 'number') return shorterSideSize(w, h, p.size, p.maxSize);
  const [th, tw] = p.size;
  const fit = p.fit ?? 'fill';
  if (fit === 'fill') return [tw, th];
  const s = fit === 'cover' ? Math.max(tw / w, th / h) : Math.min(tw / w, th / h);
  // Round, then make sure the box is met exactly on the constraining side.
  let nw = Math.max(1, Math.round(w * s)), nh = Math.max(1, Math.round(h * s));
  if (fit === 'cover') { nw = Math.max(nw, tw); nh = Math.max(nh, th); }
  else { nw = Math.min(nw, tw); nh = Math.min(nh, th); }
  return [nw, nh];
}

/** Crop (cover) or pad (contain) a scaled image to the box. */
export function finishFit(img: Img, p: ResizeSpec): Img {
  if (typeof p.size === 'number') return img;
  const [th, tw] = p.size;
  const fit = p.fit ?? 'fill';
  if (fit === 'cover') return cropImage(img, Math.floor((img.height - th) / 2), Math.floor((img.width - tw) / 2), th, tw);
  if (fit === 'contain') {
    const l = Math.floor((tw - img.width) / 2), t = Math.floor((th - img.height) / 2);
    return padImage(img, [l, t, tw - img.width - l, th - img.height - t], 'constant', p.background ?? [0]);
  }
  return img;
}

/** Resize one image according to the spec. */
export async function resizeImage(img: Img, p: ResizeSpec): Promise<Img> {
  const [w, h] = scaledSize(img.width, img.height, p);
  let out: Img;
  if (w === img.width && h === img.height) out = img;
  else if ((p.engine ?? 'pil') === 'pil') out = resizeExact(img, w, h, p.kernel ?? 'bilinear', p.antialias ?? true);
  else {
    const sharp = await loadSharp();
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } })
      .resize(w, h, { fit: 'fill', kernel: VIPS_KERNEL[p.kernel ?? 'bilinear'] })
      .raw()
      .toBuffer({ resolveWithObject: true });
    out = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  }
  return finishFit(out, p);
}

/**
 * Resize then centre-crop to [height, width] (torchvision Resize + CenterCrop). With the 'pil'
 * engine and a crop inside the resized image, only the kept pixels are resampled (the same
 * pixels as the two steps, bit for bit); otherwise the two steps run one after the other.
 */
export async function resizeCropImage(img: Img, p: ResizeSpec, crop: readonly [number, number]): Promise<Img> {
  const [w, h] = scaledSize(img.width, img.height, p);
  const [ch, cw] = crop;
  const plain = typeof p.size === 'number' || (p.fit ?? 'fill') === 'fill';
  if ((p.engine ?? 'pil') === 'pil' && plain && ch <= h && cw <= w && !(w === img.width && h === img.height)) {
    return resamplePil(img, w, h, p.kernel ?? 'bilinear', p.antialias ?? true, undefined, { left: centerOffset(w, cw), top: centerOffset(h, ch), width: cw, height: ch });
  }
  return centerCropImage(await resizeImage(img, p), ch, cw);
}

export const VIPS_KERNEL = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos3: 'lanczos3' } as const;
