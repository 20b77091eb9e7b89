// A port of Pillow's separable resampler (libImaging/Resample.c, 8 bits per channel): the same
// filter supports, the same coefficient normalisation to 22-bit fixed point, the same rounding and
// the same uint8 intermediate after the horizontal pass. Its output is bit-identical to
// `PIL.Image.resize`, hence to torchvision transforms applied to PIL images.
import type { Img } from './image.ts';
import { pixelKernels } from './wasm.ts';

export type Kernel = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3' | 'box';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Filter { readonly support: number; readonly fn: (x: number) => number }

const sinc = (x: number): number => {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
};

const FILTERS: Record<Exclude<Kernel, 'nearest'>, Filter> = {
  box: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, fn: (x) => { if (x < 0) x = -x; return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos3: { support: 3, fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

export interface Coeffs { readonly ksize: number; readonly bounds: Int32Array; readonly kk: Int32Array }

/** Fixed-point filter weights of each output pixel (precompute_coeffs + normalize_coeffs_8bpc). */
function coeffs(inSize: number, in0: number, in1: number, outSize: number, filter: Filter, antialias: boolean): Coeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = antialias && scale > 1 ? scale : 1;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) { const v = filter.fn((x + xmin - center + 0.5) * ss); w[x] = v; ww += v; }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x]! / ww : w[x]!;
      // C casts to int with truncation after adding ±0.5: round half away from zero.
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  // v is an integer below 2^30 here, so the shift is exact.
  return v >> PRECISION_BITS;
}

/** The horizontal pass over `rows` source rows from `y0`, into a uint8 image `outW` wide. */
function horizontalPass(data: Uint8Array, W: number, C: number, y0: number, rows: number, outW: number, co: Coeffs): Uint8Array {
  const { ksize, bounds, kk } = co;
  const tmp = new Uint8Array(rows * outW * C);
  for (let y = 0; y < rows; y++) {
    const inRow = (y + y0) * W * C;
    const outRow = y * outW * C;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2]!, xmax = bounds[xx * 2 + 1]!, k0 = xx * ksize;
      let p = inRow + xmin * C;
      const o = outRow + xx * C;
      if (C === 3) {
        let s0 = HALF, s1 = HALF, s2 = HALF;
        for (let x = 0; x < xmax; x++, p += 3) {
          const k = kk[k0 + x]!;
          s0 += data[p]! * k; s1 += data[p + 1]! * k; s2 += data[p + 2]! * k;
        }
        tmp[o] = clip8(s0); tmp[o + 1] = clip8(s1); tmp[o + 2] = clip8(s2);
      } else {
        for (let c = 0; c < C; c++) {
          let s = HALF;
          for (let x = 0, q = p + c; x < xmax; x++, q += C) s += data[q]! * kk[k0 + x]!;
          tmp[o + c] = clip8(s);
        }
      }
    }
  }
  return tmp;
}

/** A window of the output (a crop of the resized image), in output pixels. */
export interface Window { readonly left: number; readonly top: number; readonly width: number; readonly height: number }

/** The coefficients of output pixels [start, start + n): a window is a slice of them. */
function sliceCoeffs(co: Coeffs, start: number, n: number): Coeffs {
  return { ksize: co.ksize, bounds: co.bounds.subarray(start * 2, (start + n) * 2), kk: co.kk.subarray(start * co.ksize, (start + n) * co.ksize) };
}

/** Which implementation runs the passes: 'auto' = WASM SIMD for 3/4 channels when it loads, else JS. */
let engine: 'auto' | 'js' = process.env['MODAFLOW_RESAMPLE'] === 'js' ? 'js' : 'auto';
/** Force the JS passes (tests compare both). */
export function setResampleEngine(e: 'auto' | 'js'): void { engine = e; }
/** Whether the WASM kernels loaded in this thread. */
export const wasmKernels = pixelKernels;

/**
 * Resize an interleaved uint8 image to `outW × outH` as Pillow does (optionally from a source box
 * `[x0, y0, x1, y1]`, as Pillow's `reduce`-free `resize(box=...)`). With `win`, only that window
 * of the result is computed and returned (exactly the crop of the full result, at a fraction of
 * the work: a centre crop after a resize costs only the pixels it keeps).
 */
export function resamplePil(src: Img, outW: number, outH: number, kernel: Kernel, antialias = true, box?: readonly [number, number, number, number], win?: Window): Img {
  const { width: W, height: H, channels: C, data } = src;
  const [bx0, by0, bx1, by1] = box ?? [0, 0, W, H];
  const w = win ?? { left: 0, top: 0, width: outW, height: outH };
  if (w.left < 0 || w.top < 0 || w.width < 1 || w.height < 1 || w.left + w.width > outW || w.top + w.height > outH) {
    throw new RangeError(`window ${JSON.stringify(w)} is not inside ${outW}x${outH}`);
  }
  if (kernel === 'nearest') {
    const full = nearest(src, outW, outH, bx0, by0, bx1, by1);
    return win ? cropRows(full, w) : full;
  }
  const filter = FILTERS[kernel];
  const needH = outW !== W || bx0 !== 0 || bx1 !== outW;
  const needV = outH !== H || by0 !== 0 || by1 !== outH;
  const horiz = sliceCoeffs(coeffs(W, bx0, bx1, outW, filter, antialias), w.left, w.width);
  const vert = sliceCoeffs(coeffs(H, by0, by1, outH, filter, antialias), w.top, w.height);
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[w.height * 2 - 2]! + vert.bounds[w.height * 2 - 1]!;
  const simd = engine === 'auto' && (C === 3 || C === 4) ? pixelKernels() : null;
  if (simd) return simd.resample(src, needH, needV, horiz, vert, yFirst, yLast, w);
  // The rows the vertical pass reads (all of them when there is no vertical pass).
  const r0 = needV ? yFirst : w.top, r1 = needV ? yLast : w.top + w.height;
  const cur = needH ? horizontalPass(data, W, C, r0, r1 - r0, w.width, horiz) : cropRows(src, { left: w.left, top: r0, width: w.width, height: r1 - r0 }).data;
  if (!needV) return { data: cur, width: w.width, height: w.height, channels: C };
  const out = new Uint8Array(w.height * w.width * C);
  const { ksize, bounds, kk } = vert;
  const stride = w.width * C;
  // Row by row (cache-friendly): accumulate whole source rows, weighted, then clip.
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < w.height; yy++) {
    const ymin = bounds[yy * 2]! - r0, ymax = bounds[yy * 2 + 1]!, k0 = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const k = kk[k0 + y]!;
      const row = (ymin + y) * stride;
      for (let xc = 0; xc < stride; xc++) acc[xc] += cur[row + xc]! * k;
    }
    const o = yy * stride;
    for (let xc = 0; xc < stride; xc++) out[o + xc] = clip8(acc[xc]!);
  }
  return { data: out, width: w.width, height: w.height, channels: C };
}

/** A copy of a window of an image (the window lies inside it). */
function cropRows(img: Img, w: Window): Img {
  const C = img.channels, rowBytes = w.width * C, out = new Uint8Array(w.height * rowBytes);
  for (let y = 0; y < w.height; y++) {
    const s = ((w.top + y) * img.width + w.left) * C;
    out.set(img.data.subarray(s, s + rowBytes), y * rowBytes);
  }
  return { data: out, width: w.width, height: w.height, channels: C };
}

/** Pillow's NEAREST resize: an affine transform sampling at pixel centres, truncating coordinates. */
function nearest(src: Img, outW: number, outH: number, x0: number, y0: number, x1: number, y1: number): Img {
  const { width: W, height: H, channels: C, data } = src;
  const sx = (x1 - x0) / outW, sy = (y1 - y0) / outH;
  const out = new Uint8Array(outW * outH * C);
  // Pillow steps the source coordinate by repeated addition; doing the same keeps the truncations identical.
  const xs = new Int32Array(outW);
  let xo = x0 + sx * 0.5;
  for (let x = 0; x < outW; x++, xo += sx) xs[x] = Math.min(W - 1, Math.trunc(xo));
  let yo = y0 + sy * 0.5;
  for (let y = 0; y < outH; y++, yo += sy) {
    const yin = Math.min(H - 1, Math.trunc(yo));
    for (let x = 0; x < outW; x++) {
      const s = (yin * W + xs[x]!) * C, d = (y * outW + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c]!;
    }
  }
  return { data: out, width: outW, height: outH, channels: C };
}
