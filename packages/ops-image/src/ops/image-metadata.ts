// image.metadata: width, height, channels, format and EXIF orientation read from the header only
// (no pixel is decoded), so a manifest can be filtered by size before paying for decoding.
import { availableParallelism } from 'node:os';
import { defineOp, dt, InvalidArgumentError, type Binary, type Int32, type OpCall, type Utf8 } from '@modaflow/core';
import { checkedSharp, decodeError, DEFAULT_MAX_PIXELS, forEachLimit, readBytes } from '../util/decode.ts';

export interface ImageMetadataParams {
  readonly column: string;
  readonly from?: 'path' | 'bytes';
  /** Prefix of the output columns `<prefix>width`, `height`, `channels`, `format`, `orientation` (default 'image_'). */
  readonly prefix?: string;
  /** Report the size after applying the EXIF orientation (default true, like image.decode). */
  readonly autoOrient?: boolean;
  /** Headers declaring more pixels are row errors (default 89,478,485). */
  readonly maxPixels?: number;
}

const FIELDS = ['width', 'height', 'channels', 'format', 'orientation'] as const;

export const imageMetadataDef = defineOp<ImageMetadataParams>({
  name: 'image.metadata',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: p.from === 'bytes' ? dt.binary() : dt.utf8() }),
  outputs: (p) => {
    const px = p.prefix ?? 'image_';
    return { [`${px}width`]: dt.int32(), [`${px}height`]: dt.int32(), [`${px}channels`]: dt.int32(), [`${px}format`]: dt.utf8(), [`${px}orientation`]: dt.int32() };
  },
  properties: { costPerRow: 100 },
  validate(p) {
    if (p.from !== undefined && p.from !== 'path' && p.from !== 'bytes') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `from '${p.from}' is not 'path' or 'bytes'`, { op: 'image.metadata', fix: "use from: 'path' or 'bytes'" });
    }
  },
  async kernel(input, p, ctx) {
    const vals = input.values(p.column) as (string | Uint8Array | null)[];
    const cols: Record<(typeof FIELDS)[number], (number | string | null)[]> = {
      width: new Array(vals.length).fill(null), height: new Array(vals.length).fill(null), channels: new Array(vals.length).fill(null),
      format: new Array(vals.length).fill(null), orientation: new Array(vals.length).fill(null),
    };
    const auto = p.autoOrient ?? true;
    await forEachLimit(vals, Math.max(2, availableParallelism()), async (v, i) => {
      if (v === null) return;
      try {
        const bytes = typeof v === 'string' ? await readBytes(v) : v;
        let m;
        try {
          m = await (await checkedSharp(bytes, { maxPixels: p.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'error', autoOrient: false })).metadata();
        } catch (e) { throw decodeError(e, typeof v === 'string' ? `'${v}'` : 'the bytes'); }
        const max = p.maxPixels ?? DEFAULT_MAX_PIXELS;
        if (m.width * m.height > max) throw decodeError(new Error(`Input image exceeds pixel limit (${m.width}×${m.height})`), typeof v === 'string' ? `'${v}'` : 'the bytes');
        const swap = auto && (m.orientation ?? 1) >= 5;
        cols.width[i] = swap ? m.height : m.width;
        cols.height[i] = swap ? m.width : m.height;
        cols.channels[i] = m.channels;
        cols.format[i] = m.format;
        cols.orientation[i] = m.orientation ?? 1;
      } catch (e) {
        ctx.rowError(i, e as Error, { column: p.column });
      }
    });
    const px = p.prefix ?? 'image_';
    return { columns: Object.fromEntries(FIELDS.map((f) => [`${px}${f}`, cols[f]])) };
  },
});

type MetaOut<P extends string> = { [K in `${P}width` | `${P}height` | `${P}channels` | `${P}orientation`]: Int32 } & { [K in `${P}format`]: Utf8 };

/**
 * Image header fields without decoding: `<prefix>width`, `height`, `channels`, `format`, `orientation`.
 *
 * @example
 * readManifest('data').map(imageMetadata({ column: 'image_path' })).filter((c) => c.image_width.ge(224))
 */
export function imageMetadata<C extends string, P extends string = 'image_'>(p: ImageMetadataParams & { column: C; prefix?: P; from?: 'path' }): OpCall<{ [K in C]: Utf8 }, MetaOut<P>>;
export function imageMetadata<C extends string, P extends string = 'image_'>(p: ImageMetadataParams & { column: C; prefix?: P; from: 'bytes' }): OpCall<{ [K in C]: Binary }, MetaOut<P>>;
export function imageMetadata(p: ImageMetadataParams) {
  return imageMetadataDef.call(p);
}
