// The pixel kernels of ops-image in WebAssembly SIMD: Pillow's resampler passes (below) and the
// uint8 → float32 tensor conversion (to_float, at the end).
//
// The two passes of Pillow's 8-bit separable resampler (libImaging/Resample.c, ImagingResample-
// Horizontal_8bpc / ImagingResampleVertical_8bpc) in WebAssembly SIMD, for 3- and 4-channel
// interleaved images. The fixed-point coefficients are computed by the caller (resample.ts, the
// same code as the JS path), so this file only does the integer work; the int32 arithmetic is
// Pillow's own, so the output is bit-identical to PIL.Image.resize.
//
// Both passes work on a window of the output: only the columns [x0, x0 + n) of the horizontal pass
// and the rows of the vertical pass that a crop keeps are computed. Every output pixel depends only
// on its own coefficients, so a window is exactly the crop of the full result.
//
// Build: pnpm --filter @modaflow/ops-image build:wasm (clang-14, wasm-ld): src/wasm/pixels.wasm.
#include <stdint.h>
#include <wasm_simd128.h>

#define PRECISION_BITS (32 - 8 - 2)

// Pillow's clip8 for four int32 sums: >> 22 (arithmetic), then saturating narrows to [0, 255] give
// exactly clip8 (sum >= 1 << 30 -> 255, sum <= 0 -> 0, else sum >> 22).
static inline v128_t shift4(v128_t s) { return wasm_i32x4_shr(s, PRECISION_BITS); }

/**
 * Horizontal pass. For each of `rows` source rows starting at y0, computes `n` output pixels whose
 * taps are bounds[2i] (first source column) and bounds[2i + 1] (tap count), weights kk[i * ksize..].
 * `src` must be readable 4 bytes past its end (a 3-channel pixel is loaded as 4 bytes); `dst` is
 * written up to 1 byte past rows * n * C.
 */
void hpass(const uint8_t *src, int W, int C, int y0, int rows, int n, const int32_t *bounds, const int32_t *kk, int ksize, uint8_t *dst) {
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  for (int y = 0; y < rows; y++) {
    const uint8_t *row = src + (uint32_t)(y0 + y) * (uint32_t)W * (uint32_t)C;
    uint8_t *o = dst + (uint32_t)y * (uint32_t)n * (uint32_t)C;
    for (int xx = 0; xx < n; xx++) {
      const int xmin = bounds[2 * xx], taps = bounds[2 * xx + 1];
      const int32_t *k = kk + xx * ksize;
      const uint8_t *p = row + xmin * C;
      v128_t acc = half;
      // One 4-byte load per tap (3-channel: the 4th lane is the next pixel's first byte, ignored).
      for (int x = 0; x < taps; x++, p += C) {
        v128_t px = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(px, wasm_i32x4_splat(k[x])));
      }
      v128_t s = shift4(acc);
      v128_t b = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(s, s), wasm_i16x8_narrow_i32x4(s, s));
      wasm_v128_store32_lane(o + xx * C, b, 0);
    }
  }
}

/**
 * Vertical pass over `nrows` output rows of a uint8 image whose rows are `stride` bytes (any
 * channel count: the pass is per byte). Output row i takes source rows bounds[2i] - rowOff .. +
 * bounds[2i + 1] with weights kk[i * ksize..]. Reads and writes up to 15 bytes past each buffer.
 */
void vpass(const uint8_t *src, int stride, int rowOff, int nrows, const int32_t *bounds, const int32_t *kk, int ksize, uint8_t *dst) {
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  for (int yy = 0; yy < nrows; yy++) {
    const int ymin = bounds[2 * yy] - rowOff, taps = bounds[2 * yy + 1];
    const int32_t *k = kk + yy * ksize;
    const uint8_t *base = src + (uint32_t)ymin * (uint32_t)stride;
    uint8_t *o = dst + (uint32_t)yy * (uint32_t)stride;
    for (int xc = 0; xc < stride; xc += 16) {
      v128_t a0 = half, a1 = half, a2 = half, a3 = half;
      const uint8_t *p = base + xc;
      for (int y = 0; y < taps; y++, p += stride) {
        const v128_t kv = wasm_i32x4_splat(k[y]);
        const v128_t v = wasm_v128_load(p);
        const v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), kv));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), kv));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), kv));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), kv));
      }
      const v128_t l = wasm_i16x8_narrow_i32x4(shift4(a0), shift4(a1));
      const v128_t h = wasm_i16x8_narrow_i32x4(shift4(a2), shift4(a3));
      wasm_v128_store(o + xc, wasm_u8x16_narrow_i16x8(l, h));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// uint8 → float32 tensors (image.to-tensor): x = v / 255 (when scale), then (x - mean[c]) / std[c]
// (when norm), every step a correctly rounded float32 operation — the same values as torch's
// ToTensor + Normalize on float32, and as the JS path (Math.fround after each step: a double
// result rounded to float32 equals the float32 operation for +, -, /). `ms` holds mean[C] then std[C].

static inline v128_t f32_step(v128_t x, int scale, int norm, v128_t m, v128_t s) {
  if (scale) x = wasm_f32x4_div(x, wasm_f32x4_splat(255.0f));
  if (norm) x = wasm_f32x4_div(wasm_f32x4_sub(x, m), s);
  return x;
}

/** 16 uint8 values → 16 floats at dst. */
static inline void plane16(v128_t v, int scale, int norm, v128_t m, v128_t s, float *dst) {
  const v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
  wasm_v128_store(dst, f32_step(wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(lo)), scale, norm, m, s));
  wasm_v128_store(dst + 4, f32_step(wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(lo)), scale, norm, m, s));
  wasm_v128_store(dst + 8, f32_step(wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(hi)), scale, norm, m, s));
  wasm_v128_store(dst + 12, f32_step(wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(hi)), scale, norm, m, s));
}

static inline float f32_one(uint8_t v, int scale, int norm, float m, float s) {
  float x = (float)v;
  if (scale) x = x / 255.0f;
  if (norm) x = (x - m) / s;
  return x;
}

/**
 * Interleaved uint8 HWC (n pixels, C channels) → float32, planar CHW (chw = 1) or interleaved HWC.
 * Three-channel CHW (the common case) is de-interleaved 16 pixels at a time.
 */
void to_float(const uint8_t *src, int n, int C, int chw, int scale, int norm, const float *ms, float *dst) {
  int q = 0;
  if (chw && C == 3) {
    const v128_t m0 = wasm_f32x4_splat(ms[0]), m1 = wasm_f32x4_splat(ms[1]), m2 = wasm_f32x4_splat(ms[2]);
    const v128_t s0 = wasm_f32x4_splat(ms[3]), s1 = wasm_f32x4_splat(ms[4]), s2 = wasm_f32x4_splat(ms[5]);
    float *d0 = dst, *d1 = dst + n, *d2 = dst + 2 * n;
    for (; q + 16 <= n; q += 16) {
      const uint8_t *p = src + q * 3;
      const v128_t a = wasm_v128_load(p), b = wasm_v128_load(p + 16), c = wasm_v128_load(p + 32);
      v128_t r = wasm_i8x16_shuffle(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
      r = wasm_i8x16_shuffle(r, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29);
      v128_t g = wasm_i8x16_shuffle(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
      g = wasm_i8x16_shuffle(g, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30);
      v128_t bl = wasm_i8x16_shuffle(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
      bl = wasm_i8x16_shuffle(bl, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31);
      plane16(r, scale, norm, m0, s0, d0 + q);
      plane16(g, scale, norm, m1, s1, d1 + q);
      plane16(bl, scale, norm, m2, s2, d2 + q);
    }
  } else if (C == 1) {
    const v128_t m = wasm_f32x4_splat(ms[0]), s = wasm_f32x4_splat(ms[1]);
    for (; q + 16 <= n; q += 16) plane16(wasm_v128_load(src + q), scale, norm, m, s, dst + q);
  }
  // The rest (and other channel counts / layouts), one value at a time.
  for (; q < n; q++) {
    for (int c = 0; c < C; c++) {
      const float v = f32_one(src[q * C + c], scale, norm, ms[c], ms[C + c]);
      if (chw) dst[c * n + q] = v; else dst[q * C + c] = v;
    }
  }
}
