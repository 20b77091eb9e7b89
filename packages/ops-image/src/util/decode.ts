// Decoding one image with sharp, with the checks that untrusted files need: a pixel limit applied
// to the header before any pixel is decoded, strict failure on corrupt data, and sharp's messages
// turned into stable error codes.
import { readFile } from 'node:fs/promises';
import { OpError } from '@modaflow/core';
import type { Img } from './image.ts';
import { loadSharp } from './sharp.ts';
import { convertChannels } from './transforms.ts';

/** Pillow's default decompression-bomb limit (Image.MAX_IMAGE_PIXELS). */
export const DEFAULT_MAX_PIXELS = 89_478_485;

export type ColorMode = 'RGB' | 'L' | 'RGBA' | 'keep';
export type FailOn = 'none' | 'truncated' | 'error' | 'warning';

export interface DecodeOptions {
  readonly mode: ColorMode;
  readonly autoOrient: boolean;
  readonly maxPixels: number;
  readonly failOn: FailOn;
}

/** Reads a file as bytes, mapping I/O failures to per-row codes. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OpError(code === 'ENOENT' ? 'MF_FILE_MISSING' : 'MF_IO', `cannot read '${path}': ${(e as Error).message}`, {
      fix: 'check the path column and that the file is readable',
    });
  }
}

/** Maps a sharp failure to a coded error. */
export function decodeError(e: unknown, what: string): OpError {
  const msg = (e as Error)?.message ?? String(e);
  if (/pixel limit/i.test(msg)) {
    return new OpError('MF_LIMIT_EXCEEDED', `${what}: the header declares more pixels than the limit (${msg})`, {
      fix: 'raise maxPixels if the image is trusted; otherwise leave the row out (it may be a decompression bomb)',
    });
  }
  return new OpError('MF_DECODE', `${what} cannot be decoded: ${msg}`, {
    fix: 'the file is corrupt, truncated or not an image; re-export it, or run with onError: skip/quarantine',
  });
}

export async function checkedSharp(bytes: Uint8Array, o: Pick<DecodeOptions, 'maxPixels' | 'failOn' | 'autoOrient'>) {
  if (bytes.length === 0) {
    throw new OpError('MF_DECODE', 'the file is empty (0 bytes)', { fix: 'remove or replace the empty file' });
  }
  const sharp = await loadSharp();
  return sharp(bytes, { limitInputPixels: o.maxPixels, failOn: o.failOn, autoOrient: o.autoOrient, pages: 1 });
}

/** Decodes to interleaved uint8 in the requested colour mode. */
export async function decodeBytes(bytes: Uint8Array, o: DecodeOptions, what: string): Promise<Img> {
  let result;
  try {
    let s = await checkedSharp(bytes, o);
    // sharp hands out sRGB by default (gray expanded to three equal bands, CMYK and embedded
    // profiles converted); 'keep' asks for the header to leave gray images gray.
    if (o.mode === 'keep') {
      const m = await s.metadata();
      s = await checkedSharp(bytes, o);
      if (m.space === 'b-w' || m.space === 'grey16') s = s.toColourspace('b-w');
    }
    result = await s.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(e, what);
  }
  const { data, info } = result;
  const img: Img = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  if (o.mode === 'keep') return img;
  return convertChannels(img, o.mode === 'L' ? 1 : o.mode === 'RGB' ? 3 : 4);
}

/** Runs `fn` over items with at most `limit` in flight (keeps libuv's threads busy without flooding them). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) { const i = next++; await fn(items[i]!, i); }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
