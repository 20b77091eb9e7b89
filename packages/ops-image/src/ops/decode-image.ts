// image.decode: JPEG, PNG, WebP, GIF (first frame), AVIF, TIFF from a path or a binary column to a
// uint8 HWC tensor; EXIF orientation applied, colour mode converted; bad files become row errors.
import { availableParallelism } from 'node:os';
import { defineOp, dt, InvalidArgumentError, type Binary, type OpCall, type OpDef, type Utf8 } from '@modaflow/core';
import { IMAGE_U8, imageColumn, type ImageU8, type Img } from '../util/image.ts';
import { DEFAULT_MAX_PIXELS, checkedSharp, decodeBytes, decodeError, forEachLimit, readBytes, type ColorMode, type FailOn } from '../util/decode.ts';
import { resizeImage, resizeCropImage, scaledSize, finishFit, validateResize, VIPS_KERNEL, type ResizeSpec } from '../util/resize-image.ts';
import type { ResizeParams } from './resize.ts';
import type { CenterCropParams } from './center-crop.ts';
import { centerCropImage, centerOffset, convertChannels } from '../util/transforms.ts';
import { TensorBuilder, tensorType, type TensorSpec } from '../util/tensor.ts';
import { toTensorDef, type ToTensorParams } from './to-tensor.ts';

export interface DecodeImageParams {
  readonly column: string;
  readonly output?: string;
  /** What the column holds: file paths (utf8, default) or encoded bytes (binary). */
  readonly from?: 'path' | 'bytes';
  /** 'RGB' (default), 'L' (Pillow's luma), 'RGBA', or 'keep' the file's channels. */
  readonly mode?: ColorMode;
  /** Apply the EXIF orientation (default true). */
  readonly autoOrient?: boolean;
  /** Refuse images whose header declares more pixels (default 89,478,485, Pillow's limit). */
  readonly maxPixels?: number;
  /** How strict to be with damaged data (default 'error': truncated or corrupt files are row errors). */
  readonly failOn?: FailOn;
  /**
   * A resize absorbed into decoding (what the planner's absorb rule produces from decode → resize).
   * policy 'exact' gives the same pixels as decode then resize; 'fast' lets libjpeg decode at
   * 1/2, 1/4 or 1/8 scale first (shrink-on-load) and resizes with libvips: much cheaper for large
   * downscales, not bit-identical.
   */
  readonly resize?: ResizeSpec & { readonly policy?: 'exact' | 'fast' };
  /**
   * Whether the planner may fold a following image.resize of this column into the decode, and
   * under which quality policy: 'exact' (default; same pixels as the two steps, saves the
   * full-size image column), 'fast' (shrink-on-load with libvips: not bit-identical), 'off'.
   */
  readonly shrink?: 'exact' | 'fast' | 'off';
  /**
   * A centre crop absorbed after the resize (decode → resize → centerCrop), as [height, width].
   * Under 'fast' libvips extracts it in the same pipeline; the pixels are those of the two steps.
   */
  readonly centerCrop?: readonly [number, number];
  /**
   * A to-tensor absorbed after the decode (decode → … → toTensor of the decoded column): each
   * image is written straight into the batch's tensor column, in `output` (the decoded column
   * itself when the to-tensor replaced it; otherwise the uint8 image column is kept beside it).
   * Set by the planner's fold-into-op rule: write `.map(toTensor(...))` rather than this.
   */
  readonly tensor?: TensorSpec & { readonly output: string };
}

const MODES = new Set(['RGB', 'L', 'RGBA', 'keep']);
/** Files decoded at once per kernel call: enough to keep libuv's thread pool (4 threads by default) busy. */
const IN_FLIGHT = Math.max(availableParallelism(), Number(process.env['UV_THREADPOOL_SIZE'] ?? 4));

export const decodeImageDef: OpDef<DecodeImageParams> = defineOp<DecodeImageParams>({
  name: 'image.decode',
  module: import.meta.url,
  description: 'decode images (path or bytes) to uint8 HWC tensors',
  inputs: (p) => ({ [p.column]: p.from === 'bytes' ? dt.binary() : dt.utf8() }),
  outputs: (p) => {
    const out = p.output ?? p.column;
    if (!p.tensor) return { [out]: IMAGE_U8 };
    return p.tensor.output === out ? { [out]: tensorType(p.tensor) } : { [out]: IMAGE_U8, [p.tensor.output]: tensorType(p.tensor) };
  },
  properties: { costPerRow: 3000 },
  validate(p) {
    const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'image.decode', fix }); };
    if (p.from !== undefined && p.from !== 'path' && p.from !== 'bytes') bad(`from '${p.from}' is not 'path' or 'bytes'`, "use from: 'path' for a column of file paths, 'bytes' for a binary column");
    if (p.mode !== undefined && !MODES.has(p.mode)) bad(`mode '${p.mode}' is unknown`, 'use RGB, L, RGBA or keep');
    if (p.maxPixels !== undefined && !(Number.isInteger(p.maxPixels) && p.maxPixels > 0)) bad(`maxPixels ${p.maxPixels} is not a positive integer`, 'pass a pixel count such as 100_000_000');
    if (p.shrink !== undefined && !['exact', 'fast', 'off'].includes(p.shrink)) bad(`shrink '${p.shrink}' is unknown`, "use 'exact', 'fast' or 'off'");
    if (p.centerCrop && !(p.centerCrop.length === 2 && p.centerCrop.every((v) => Number.isInteger(v) && v > 0))) bad(`centerCrop ${JSON.stringify(p.centerCrop)} is not [height, width]`, 'pass centerCrop: [224, 224]');
    if (p.tensor) toTensorDef.spec.validate?.({ ...p.tensor, column: p.output ?? p.column });
    if (p.resize) {
      validateResize(p.resize, 'image.decode');
      if (p.resize.policy !== undefined && p.resize.policy !== 'exact' && p.resize.policy !== 'fast') bad(`resize.policy '${p.resize.policy}' is unknown`, "use 'exact' or 'fast'");
    }
  },
  absorb(p, next): OpCall | null {
    const policy = p.shrink ?? 'exact';
    if (policy === 'off') return null;
    const out = p.output ?? p.column;
    if (p.tensor) return null;
    if (next.op === 'image.to-tensor') {
      // The tensor is computed from the image as the decode finishes it: no uint8 column between them.
      const { column, output, ...spec } = next.params as ToTensorParams;
      if (column !== out) return null;
      return decodeImageDef.call({ ...p, tensor: { ...spec, output: output ?? column } });
    }
    if (next.op === 'image.center-crop' && p.resize && !p.centerCrop) {
      const c = next.params as CenterCropParams;
      if (c.column !== out || (c.output ?? c.column) !== out) return null;
      const size: [number, number] = typeof c.size === 'number' ? [c.size, c.size] : [c.size[0], c.size[1]];
      return decodeImageDef.call({ ...p, centerCrop: size });
    }
    if (p.resize || next.op !== 'image.resize') return null;
    const r = next.params as ResizeParams;
    // The resize must consume decode's output and replace it; otherwise the full-size image is still needed.
    if (r.column !== out || (r.output ?? r.column) !== out) return null;
    // 'fast' decodes through libvips' resampler, which never skips antialiasing.
    if (policy === 'fast' && r.antialias === false) return null;
    const { column: _c, output: _o, ...spec } = r;
    return decodeImageDef.call({ ...p, resize: { ...spec, ...(policy === 'fast' ? { engine: 'vips' as const } : {}), policy } });
  },
  async kernel(input, p, ctx) {
    const column = p.column;
    const vals = input.values(column) as (string | Uint8Array | null)[];
    const out: (Img | null)[] = new Array(vals.length).fill(null);
    const name = p.output ?? column;
    const tensor = p.tensor ? new TensorBuilder(p.tensor, vals.length, name, 'image.to-tensor') : null;
    const keepImage = !p.tensor || p.tensor.output !== name;
    const opts = { mode: p.mode ?? 'RGB', autoOrient: p.autoOrient ?? true, maxPixels: p.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: p.failOn ?? 'error' } as const;
    await forEachLimit(vals, IN_FLIGHT, async (v, i) => {
      if (v === null) return;
      let img: Img;
      try {
        const bytes = typeof v === 'string' ? await readBytes(v) : v;
        const what = typeof v === 'string' ? `'${v}'` : 'the bytes';
        if (p.resize && p.resize.policy === 'fast') img = await decodeFast(bytes, opts, p.resize, p.centerCrop, what);
        else {
          const full = await decodeBytes(bytes, opts, what);
          if (p.resize && p.centerCrop) img = await resizeCropImage(full, p.resize, p.centerCrop);
          else {
            const r = p.resize ? await resizeImage(full, p.resize) : full;
            img = p.centerCrop ? centerCropImage(r, p.centerCrop[0], p.centerCrop[1]) : r;
          }
        }
      } catch (e) {
        ctx.rowError(i, e as Error, { column });
        return;
      }
      if (tensor) {
        // Written into the batch's tensor buffer now, while the other images are still decoding.
        try { tensor.put(img, i); } catch (e) { ctx.rowError(i, e as Error, { column: name, code: (e as { code?: string }).code ?? 'MF_ROW_ERROR' }); return; }
      }
      if (keepImage) out[i] = img;
    });
    if (!tensor) return { columns: { [name]: imageColumn(out) } };
    if (!keepImage) return { columns: { [name]: tensor.build() } };
    return { columns: { [name]: imageColumn(out), [p.tensor!.output]: tensor.build() } };
  },
});

/** Decode with libvips' shrink-on-load and resize in the same libvips pipeline. */
async function decodeFast(bytes: Uint8Array, o: { mode: ColorMode; autoOrient: boolean; maxPixels: number; failOn: FailOn }, r: ResizeSpec, crop: readonly [number, number] | undefined, what: string): Promise<Img> {
  let result;
  try {
    const meta = await (await checkedSharp(bytes, o)).metadata();
    const w0 = o.autoOrient ? meta.autoOrient.width : meta.width;
    const h0 = o.autoOrient ? meta.autoOrient.height : meta.height;
    const [w, h] = scaledSize(w0, h0, r);
    let s = (await checkedSharp(bytes, o)).resize(w, h, { fit: 'fill', kernel: VIPS_KERNEL[r.kernel ?? 'bilinear'], fastShrinkOnLoad: true });
    // A crop that fits inside (and no fit-mode padding/cropping in between) is cut by libvips.
    if (crop && (typeof r.size === 'number' || (r.fit ?? 'fill') === 'fill') && crop[0] <= h && crop[1] <= w) {
      s = s.extract({ left: centerOffset(w, crop[1]), top: centerOffset(h, crop[0]), width: crop[1], height: crop[0] });
      crop = undefined;
    }
    result = await s.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(e, what);
  }
  const { data, info } = result;
  let img: Img = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  if (o.mode !== 'keep') img = convertChannels(img, o.mode === 'L' ? 1 : o.mode === 'RGB' ? 3 : 4);
  img = finishFit(img, r);
  return crop ? centerCropImage(img, crop[0], crop[1]) : img;
}

type DecodeOut<O extends string> = { [K in O]: ImageU8 };

/**
 * Decode images to uint8 HWC tensors (`var_tensor<uint8>[H, W, C]`).
 *
 * @example
 * readManifest('data').map(decodeImage({ column: 'image_path', output: 'image' }))
 */
export function decodeImage<C extends string, O extends string = C>(p: DecodeImageParams & { column: C; output?: O; from?: 'path' }): OpCall<{ [K in C]: Utf8 }, DecodeOut<O>>;
export function decodeImage<C extends string, O extends string = C>(p: DecodeImageParams & { column: C; output?: O; from: 'bytes' }): OpCall<{ [K in C]: Binary }, DecodeOut<O>>;
export function decodeImage(p: DecodeImageParams) {
  return decodeImageDef.call(p);
}
