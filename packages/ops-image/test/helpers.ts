// Test helpers: generated images (the same integer formula as fixtures/make-golden.py), digests,
// and running an op chain on images in-process.
import { createHash } from 'node:crypto';
import { columnValues, dt, fromRows, type Tensor } from '@modaflow/core';
import { IMAGE_U8 } from '../src/index.ts';
import type { Img } from '../src/util/image.ts';

/** A deterministic test image: ((x*7 + y*13 + k*51 + (x*y) % 31) & 255) for channel k. */
export function generatedImage(w: number, h: number, c: number): Img {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = (x * 7 + y * 13 + k * 51 + ((x * y) % 31)) & 255;
  return { data, width: w, height: h, channels: c };
}

/** First 32 hex digits of the SHA-256 of the bytes of a typed array (little-endian, as numpy's '<f4'). */
export function sha(a: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 32);
}

export const toTensorValue = (img: Img): Tensor<Uint8Array> => ({ data: img.data, shape: [img.height, img.width, img.channels] });
export const fromTensorValue = (t: Tensor): Img => ({ data: t.data as Uint8Array, height: t.shape[0]!, width: t.shape[1]!, channels: t.shape[2]! });

/** A dataset with one uint8 HWC column `image` (and an `id`). */
export function imageRows(imgs: readonly (Img | null)[]) {
  return fromRows(imgs.map((im, i) => ({ id: i, image: im ? toTensorValue(im) : null })), { id: dt.int32(), image: IMAGE_U8 });
}

/** All values of a column of a computed table. */
export function col<T = unknown>(table: { schema: unknown; getChild(name: string): unknown }, name: string, dtype: Parameters<typeof columnValues>[0]): T[] {
  return columnValues(dtype, table.getChild(name) as Parameters<typeof columnValues>[1]) as T[];
}
