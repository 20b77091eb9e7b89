// Pixel transforms on interleaved uint8 images, shared by the deterministic ops and the seeded
// augmentations. Where torchvision (on PIL images) defines the result, these follow Pillow's
// arithmetic so the outputs match it bit for bit; the README names the exceptions.
import type { Img } from './image.ts';
import { resamplePil, type Kernel } from './resample.ts';
import { OpError } from '@modaflow/core';

/** The region `[top, left, height, width]`; parts outside the image are filled with `fill`. */
export function cropImage(img: Img, top: number, left: number, height: number, width: number, fill: readonly number[] = [0]): Img {
  const { data, width: W, height: H, channels: C } = img;
  const out = new Uint8Array(height * width * C);
  const inside = top >= 0 && left >= 0 && top + height <= H && left + width <= W;
  if (!inside && fill.some((f) => f !== 0)) {
    for (let p = 0; p < height * width; p++) for (let c = 0; c < C; c++) out[p * C + c] = fill[Math.min(c, fill.length - 1)]!;
  }
  const x0 = Math.max(0, left), x1 = Math.min(W, left + width);
  if (x1 <= x0) return { data: out, width, height, channels: C };
  for (let y = Math.max(0, top); y < Math.min(H, top + height); y++) {
    const s = (y * W + x0) * C;
    out.set(data.subarray(s, s + (x1 - x0) * C), ((y - top) * width + (x0 - left)) * C);
  }
  return { data: out, width, height, channels: C };
}

/** torchvision's center_crop offsets (Python round, halves to even); zero-pads a side that is too small. */
export function centerCropImage(img: Img, height: number, width: number): Img {
  return cropImage(img, centerOffset(img.height, height), centerOffset(img.width, width), height, width);
}

/** Where a crop of `crop` starts in `size`: torchvision first pads (floor half before), then rounds. */
export function centerOffset(size: number, crop: number): number {
  if (crop > size) return -Math.floor((crop - size) / 2);
  const d = size - crop;
  if (d % 2 === 0) return d / 2;
  const f = Math.floor(d / 2);
  return f % 2 === 0 ? f : f + 1;
}

export type PadMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** Pads `[left, top, right, bottom]` pixels, like torchvision's pad. */
export function padImage(img: Img, pad: readonly [number, number, number, number], mode: PadMode, fill: readonly number[]): Img {
  const [l, t, r, b] = pad;
  const { data, width: W, height: H, channels: C } = img;
  const w = W + l + r, h = H + t + b;
  if (mode === 'constant') {
    const out = cropImage(img, -t, -l, h, w, fill);
    return out;
  }
  if ((mode === 'reflect' && (l >= W || r >= W || t >= H || b >= H)) || W === 0 || H === 0) {
    throw new OpError('MF_INVALID_ARGUMENT', `padding [${pad.join(', ')}] is too large to ${mode}-pad a ${W}×${H} image`, {
      fix: 'use padding smaller than the image, or mode constant/edge',
    });
  }
  const idx = (i: number, n: number): number => {
    if (mode === 'edge') return i < 0 ? 0 : i >= n ? n - 1 : i;
    const period = mode === 'reflect' ? 2 * n - 2 : 2 * n;
    if (period === 0) return 0;
    let j = ((i % period) + period) % period;
    if (mode === 'reflect') return j < n ? j : period - j;
    return j < n ? j : period - 1 - j;
  };
  const out = new Uint8Array(w * h * C);
  for (let y = 0; y < h; y++) {
    const sy = idx(y - t, H);
    for (let x = 0; x < w; x++) {
      const s = (sy * W + idx(x - l, W)) * C, d = (y * w + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c]!;
    }
  }
  return { data: out, width: w, height: h, channels: C };
}

export function flipImage(img: Img, direction: 'horizontal' | 'vertical'): Img {
  const { data, width: W, height: H, channels: C } = img;
  const out = new Uint8Array(data.length);
  const stride = W * C;
  if (direction === 'vertical') {
    for (let y = 0; y < H; y++) out.set(data.subarray(y * stride, (y + 1) * stride), (H - 1 - y) * stride);
  } else {
    for (let y = 0; y < H; y++) {
      const row = y * stride;
      for (let x = 0; x < W; x++) {
        const s = row + x * C, d = row + (W - 1 - x) * C;
        for (let c = 0; c < C; c++) out[d + c] = data[s + c]!;
      }
    }
  }
  return { data: out, width: W, height: H, channels: C };
}

/**
 * Rotate counter-clockwise by `degrees` about the centre, keeping the size (Pillow's
 * `Image.rotate(angle, expand=False)`); uncovered pixels take `fill`. 'nearest' is bit-identical to
 * Pillow; 'bilinear' interpolates in floating point and rounds.
 */
export function rotateImage(img: Img, degrees: number, interpolation: 'nearest' | 'bilinear', fill: readonly number[] = [0]): Img {
  const { data, width: W, height: H, channels: C } = img;
  const deg = ((degrees % 360) + 360) % 360;
  // Pillow takes exact shortcuts for these angles (transpose instead of an affine transform).
  if (deg === 0) return { ...img, data: data.slice() };
  if (deg === 180) return flipImage(flipImage(img, 'horizontal'), 'vertical');
  if ((deg === 90 || deg === 270) && W === H) {
    const out = new Uint8Array(data.length);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const s = deg === 90 ? (x * W + (W - 1 - y)) * C : ((H - 1 - x) * W + y) * C;
      const o = (y * W + x) * C;
      for (let c = 0; c < C; c++) out[o + c] = data[s + c]!;
    }
    return { data: out, width: W, height: H, channels: C };
  }
  const angle = -((((degrees % 360) + 360) % 360) * (Math.PI / 180));
  // Pillow rounds the matrix to 15 decimals (Python round(x, 15)).
  const r15 = (v: number): number => parseFloat(v.toFixed(15));
  const a = r15(Math.cos(angle)), b = r15(Math.sin(angle)), d = r15(-Math.sin(angle)), e = a;
  const cx = W / 2, cy = H / 2;
  const c0 = a * -cx + b * -cy + cx;
  const f0 = d * -cx + e * -cy + cy;
  const out = new Uint8Array(W * H * C);
  if (interpolation === 'nearest') {
    const fits = (x: number, y: number): boolean => Math.abs(x * a + y * b + c0) < 32768 && Math.abs(x * d + y * e + f0) < 32768;
    const put = (o: number, xi: number, yi: number): void => {
      if (xi < 0 || yi < 0 || xi >= W || yi >= H) { for (let c = 0; c < C; c++) out[o + c] = fill[Math.min(c, fill.length - 1)]!; }
      else { const s = (yi * W + xi) * C; for (let c = 0; c < C; c++) out[o + c] = data[s + c]!; }
    };
    if (fits(0, 0) && fits(W, H) && fits(0, H) && fits(W, 0)) {
      // Pillow's affine_fixed: 16.16 fixed point, stepped by addition, floor by arithmetic shift.
      const fix = (v: number): number => Math.floor(v * 65536 + 0.5);
      const a0 = fix(a), a1 = fix(b), a3 = fix(d), a4 = fix(e);
      let a2 = fix(c0 + b * 0.5 + a * 0.5), a5 = fix(f0 + e * 0.5 + d * 0.5);
      for (let y = 0; y < H; y++, a2 += a1, a5 += a4) {
        let xx = a2, yy = a5;
        for (let x = 0; x < W; x++, xx += a0, yy += a3) put((y * W + x) * C, xx >> 16, yy >> 16);
      }
    } else {
      // Pillow's floating-point affine path, also stepped by addition.
      let xo = c0 + b * 0.5 + a * 0.5, yo = f0 + e * 0.5 + d * 0.5;
      for (let y = 0; y < H; y++, xo += b, yo += e) {
        let xx = xo, yy = yo;
        for (let x = 0; x < W; x++, xx += a, yy += d) put((y * W + x) * C, xx < 0 ? -1 : Math.trunc(xx), yy < 0 ? -1 : Math.trunc(yy));
      }
    }
    return { data: out, width: W, height: H, channels: C };
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const xin = a * (x + 0.5) + b * (y + 0.5) + c0;
      const yin = d * (x + 0.5) + e * (y + 0.5) + f0;
      const o = (y * W + x) * C;
      const xs = xin - 0.5, ys = yin - 0.5;
      if (xs < -0.5 || ys < -0.5 || xs > W - 0.5 || ys > H - 0.5) { for (let c = 0; c < C; c++) out[o + c] = fill[Math.min(c, fill.length - 1)]!; continue; }
      const x0 = Math.floor(xs), y0 = Math.floor(ys), fx = xs - x0, fy = ys - y0;
      const xa = Math.max(0, x0), xb = Math.min(W - 1, x0 + 1), ya = Math.max(0, y0), yb = Math.min(H - 1, y0 + 1);
      for (let c = 0; c < C; c++) {
        const top = data[(ya * W + xa) * C + c]! * (1 - fx) + data[(ya * W + xb) * C + c]! * fx;
        const bot = data[(yb * W + xa) * C + c]! * (1 - fx) + data[(yb * W + xb) * C + c]! * fx;
        out[o + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { data: out, width: W, height: H, channels: C };
}

/** Pillow's RGB→L conversion (ITU-R 601-2 luma in 16-bit fixed point). */
export function lumaOf(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** Convert between channel layouts as Pillow's `convert` does (L, LA, RGB, RGBA; alpha dropped or 255). */
export function convertChannels(img: Img, channels: 1 | 3 | 4): Img {
  const { data, width: W, height: H, channels: C } = img;
  if (C === channels) return img;
  const n = W * H;
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const s = p * C;
    let r: number, g: number, b: number, al = 255;
    if (C <= 2) { r = g = b = data[s]!; if (C === 2) al = data[s + 1]!; }
    else { r = data[s]!; g = data[s + 1]!; b = data[s + 2]!; if (C === 4) al = data[s + 3]!; }
    const d = p * channels;
    if (channels === 1) out[d] = C <= 2 ? r : lumaOf(r, g, b);
    else { out[d] = r; out[d + 1] = g; out[d + 2] = b; if (channels === 4) out[d + 3] = al; }
  }
  return { data: out, width: W, height: H, channels };
}

/** Grayscale with `outChannels` copies of the luma (torchvision Grayscale(num_output_channels)). */
export function grayscaleImage(img: Img, outChannels: 1 | 3): Img {
  const l = convertChannels(img.channels === 4 ? convertChannels(img, 3) : img, 1);
  return outChannels === 1 ? l : convertChannels(l, 3);
}

/** Pillow's Image.blend(a, b, alpha) on uint8 (float arithmetic, truncation, clipping when extrapolating). */
export function blendInto(out: Uint8Array, degenerate: Uint8Array | number, img: Uint8Array, alpha: number): void {
  const f = Math.fround(alpha);
  const scalar = typeof degenerate === 'number';
  for (let i = 0; i < img.length; i++) {
    const a = scalar ? degenerate : degenerate[i]!;
    const v = Math.fround(a + Math.fround(f * (img[i]! - a)));
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
}

/** Resize to exactly `width × height` with Pillow's resampler. */
export function resizeExact(img: Img, width: number, height: number, kernel: Kernel, antialias = true): Img {
  if (width === img.width && height === img.height) return img;
  return resamplePil(img, width, height, kernel, antialias);
}

/** torchvision Resize(int) output size: the shorter side becomes `size` (long side truncated). */
export function shorterSideSize(w: number, h: number, size: number, maxSize?: number): [number, number] {
  const short = Math.min(w, h), long = Math.max(w, h);
  let newShort = size, newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined && newLong > maxSize) {
    newShort = Math.trunc((maxSize * newShort) / newLong);
    newLong = maxSize;
  }
  return w <= h ? [newShort, newLong] : [newLong, newShort];
}
