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
// Build: pnpm --filter @modaflow/ops-image build:wasm (clang-14, wasm-ld).
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
