// Kernels of the z-score filter over float32 values (WebAssembly SIMD). The JS reference and
// the proof of exactness are in ../util/fast-moments.ts; tests compare both on the same data.
// Here blocks hold 2^12 values and the grid admits |x| >= 2^(E-17) (the JS reference: 2^9 and
// 2^(E-20)); exactness needs log2(block) + 17 <= 30 ... see below: with u = 2^(E-40),
// |x| < 2^40 u, so |Σx| < 2^52 u; x² = h + l with h on U = 2^(2E-40): |Σh| < 2^(2E+12) <= 2^52 U,
// and l a multiple of u² = 2^(2E-80) with |l| <= U/2: |Σl| <= 2^(2E-29) < 2^51 u².
// Build: pnpm --filter @modaflow/ops-fusion build:wasm (clang-14, wasm-ld).
#include <stdint.h>
#include <wasm_simd128.h>

#define BLOCK 4096

static double pow2(int e) { // 2^e for a normal double exponent
  union { uint64_t u; double d; } v;
  v.u = (uint64_t)(e + 1023) << 52;
  return v.d;
}

static int exp_above(float m) { // E with m < 2^E (m finite, > 0)
  union { double d; uint64_t u; } v;
  v.d = (double)m;
  return (int)((v.u >> 52) & 0x7ff) - 1023 + 1;
}

// The running sums of one block: Σx (s), Σh (h) and Σl (l), two lanes each, in two vectors each.
typedef struct { v128_t s0, s1, h0, h1, l0, l1; } sums;

// Add four values (all zero or on the grid): x² = h + l with h = (x² + C) - C.
static inline void add4(sums *a, v128_t xv, v128_t Cv) {
  v128_t lo = wasm_f64x2_promote_low_f32x4(xv);
  v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(xv, xv, 2, 3, 0, 1));
  v128_t ql = wasm_f64x2_mul(lo, lo), qh = wasm_f64x2_mul(hi, hi);
  v128_t hl = wasm_f64x2_sub(wasm_f64x2_add(ql, Cv), Cv), hh = wasm_f64x2_sub(wasm_f64x2_add(qh, Cv), Cv);
  a->s0 = wasm_f64x2_add(a->s0, lo); a->s1 = wasm_f64x2_add(a->s1, hi);
  a->h0 = wasm_f64x2_add(a->h0, hl); a->h1 = wasm_f64x2_add(a->h1, hh);
  a->l0 = wasm_f64x2_add(a->l0, wasm_f64x2_sub(ql, hl)); a->l1 = wasm_f64x2_add(a->l1, wasm_f64x2_sub(qh, hh));
}

// Add one value on the grid.
static inline void add1(sums *a, double d, double C) {
  double q = d * d, h = (q + C) - C;
  a->s0 = wasm_f64x2_add(a->s0, wasm_f64x2_make(d, 0));
  a->h0 = wasm_f64x2_add(a->h0, wasm_f64x2_make(h, 0));
  a->l0 = wasm_f64x2_add(a->l0, wasm_f64x2_make(q - h, 0));
}

// One value of any kind: skipped (NaN, ±Infinity: returns 0), counted (zero), added (on the grid)
// or appended to slow[] (finite, off the grid). Returns whether it counts.
static inline int add_checked(sums *a, float v, float T32, double C, float *slow, int *ns) {
  float av = __builtin_fabsf(v);
  if (!(av <= 3.4028234663852886e38f)) return 0;
  if (av == 0.0f) return 1;
  if (av >= T32) add1(a, v, C);
  else slow[(*ns)++] = v;
  return 1;
}

// Blocks of BLOCK values of x[0, n): per block b, out[4b..4b+3] = Σx, Σh, Σl (the exact split of
// x², see fast-moments.ts) over the values on the block's grid, and their count. Finite values off
// the grid (too small for it) are appended to slow[] for the caller to add exactly; their count is
// the return value. NaN and ±Infinity are skipped (not counted). A block whose values are all
// finite and zero or on the grid (found in the max pass) is summed without a test per vector.
int moments_f32(const float *x, int n, double *out, float *slow) {
  int ns = 0;
  for (int b = 0, blk = 0; b < n; b += BLOCK, blk++) {
    int e = b + BLOCK < n ? b + BLOCK : n;
    // max |x| over finite values, and the least non-zero |x| and whether any value is not finite
    // (for the block-wide test below). pmax/pmin ignore NaN lanes of the data.
    const v128_t fmax = wasm_f32x4_splat(3.4028234663852886e38f), zero = wasm_f32x4_splat(0.0f);
    v128_t mv = zero, mn = fmax, fin = wasm_i32x4_splat(-1);
    int i = b;
    for (; i + 4 <= e; i += 4) {
      v128_t a = wasm_f32x4_abs(wasm_v128_load(x + i));
      v128_t f = wasm_f32x4_le(a, fmax); // false for NaN and ±Infinity
      fin = wasm_v128_and(fin, f);
      mv = wasm_f32x4_pmax(mv, wasm_v128_and(a, f));
      mn = wasm_f32x4_pmin(mn, wasm_v128_bitselect(fmax, a, wasm_f32x4_eq(a, zero)));
    }
    int all_finite = wasm_i32x4_all_true(fin);
    float m = 0.0f, least = 3.4028234663852886e38f;
    for (int k = 0; k < 4; k++) {
      float v = wasm_f32x4_extract_lane(mv, 0), w = wasm_f32x4_extract_lane(mn, 0);
      m = v > m ? v : m; least = w < least ? w : least;
      mv = wasm_i32x4_shuffle(mv, mv, 1, 2, 3, 0); mn = wasm_i32x4_shuffle(mn, mn, 1, 2, 3, 0);
    }
    for (; i < e; i++) {
      float a = __builtin_fabsf(x[i]);
      if (!(a <= 3.4028234663852886e38f)) { all_finite = 0; continue; }
      if (a > m) m = a;
      if (a != 0.0f && a < least) least = a;
    }
    double *o = out + 4 * blk;
    if (m == 0.0f) { // zeros and non-values only
      int c = 0;
      for (int k = b; k < e; k++) c += x[k] == 0.0f;
      o[0] = 0; o[1] = 0; o[2] = 0; o[3] = c;
      continue;
    }
    int E = exp_above(m);
    double T = pow2(E - 17);
    float T32 = T < 1.401298464324817e-45 ? 0.0f : (float)T; // a power of two: exact when ≥ 2^-149
    double C = 1.5 * pow2(2 * E + 12); // 1.5 * 2^52 * U
    const v128_t Cv = wasm_f64x2_splat(C), Tv = wasm_f32x4_splat(T32), maxv = wasm_f32x4_splat(3.4028234663852886e38f);
    const v128_t z = wasm_f64x2_splat(0);
    sums acc = { z, z, z, z, z, z };
    int c = 0;
    if (all_finite && least >= T32) {
      // Every value finite and zero or on the grid (the usual block): no per-vector test.
      for (i = b; i + 4 <= e; i += 4) add4(&acc, wasm_v128_load(x + i), Cv);
      c = i - b;
      for (; i < e; i++) { add1(&acc, x[i], C); c++; }
    } else {
      for (i = b; i + 4 <= e; i += 4) {
        v128_t xv = wasm_v128_load(x + i);
        v128_t a = wasm_f32x4_abs(xv);
        v128_t ok = wasm_v128_and(wasm_f32x4_ge(a, Tv), wasm_f32x4_le(a, maxv));
        ok = wasm_v128_or(ok, wasm_f32x4_eq(a, wasm_f32x4_splat(0.0f)));
        if (wasm_i32x4_all_true(ok)) { add4(&acc, xv, Cv); c += 4; continue; }
        for (int k = i; k < i + 4; k++) c += add_checked(&acc, x[k], T32, C, slow, &ns);
      }
      for (; i < e; i++) c += add_checked(&acc, x[i], T32, C, slow, &ns);
    }
    // Every partial sum is a multiple of the block's grid far below 2^53 units: any order is exact.
    v128_t s = wasm_f64x2_add(acc.s0, acc.s1), h = wasm_f64x2_add(acc.h0, acc.h1), l = wasm_f64x2_add(acc.l0, acc.l1);
    o[0] = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
    o[1] = wasm_f64x2_extract_lane(h, 0) + wasm_f64x2_extract_lane(h, 1);
    o[2] = wasm_f64x2_extract_lane(l, 0) + wasm_f64x2_extract_lane(l, 1);
    o[3] = c;
  }
  return ns;
}

// keep[i] = lo <= x[i] <= hi (1 or 0; NaN is never kept), and in the same pass the runs of kept
// rows as [dst, src, length] triples (dst = the run's first position among the kept rows) and the
// kept values, written to out[0, kept). Up to `cap` runs are written to runs[]; *nruns gets the
// number of runs (which may exceed cap: then runs[] holds only the first cap). Returns the number
// kept. Groups of 16 values that are all kept (the usual case of a filter that drops a few
// outliers) cost one vector test for the runs.
int keep_runs_f32(const float *x, int n, float lo, float hi, uint8_t *keep, int32_t *runs, int cap, int32_t *nruns, float *out) {
  const v128_t lv = wasm_f32x4_splat(lo), hv = wasm_f32x4_splat(hi), one = wasm_i8x16_splat(1);
  int kept = 0, i = 0, nr = 0, start = -1, dst = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t m[4];
    for (int k = 0; k < 4; k++) {
      v128_t v = wasm_v128_load(x + i + 4 * k);
      m[k] = wasm_v128_and(wasm_f32x4_ge(v, lv), wasm_f32x4_le(v, hv));
    }
    v128_t a = wasm_i16x8_narrow_i32x4(m[0], m[1]), b = wasm_i16x8_narrow_i32x4(m[2], m[3]);
    v128_t r = wasm_i8x16_narrow_i16x8(a, b);
    wasm_v128_store(keep + i, wasm_v128_and(r, one));
    if (wasm_i8x16_all_true(r)) { // all 16 kept: a run starts here or goes on
      if (start < 0) { start = i; dst = kept; }
      for (int k = 0; k < 4; k++) wasm_v128_store(out + kept + 4 * k, wasm_v128_load(x + i + 4 * k));
      kept += 16;
      continue;
    }
    if (!wasm_v128_any_true(r) && start < 0) continue; // none kept, no open run
    for (int j = i; j < i + 16; j++) {
      if (keep[j]) { if (start < 0) { start = j; dst = kept; } out[kept++] = x[j]; }
      else if (start >= 0) {
        if (nr < cap) { runs[3 * nr] = dst; runs[3 * nr + 1] = start; runs[3 * nr + 2] = j - start; }
        nr++; start = -1;
      }
    }
  }
  for (; i < n; i++) {
    uint8_t k = x[i] >= lo && x[i] <= hi;
    keep[i] = k;
    if (k) { if (start < 0) { start = i; dst = kept; } out[kept++] = x[i]; }
    else if (start >= 0) {
      if (nr < cap) { runs[3 * nr] = dst; runs[3 * nr + 1] = start; runs[3 * nr + 2] = i - start; }
      nr++; start = -1;
    }
  }
  if (start >= 0) {
    if (nr < cap) { runs[3 * nr] = dst; runs[3 * nr + 1] = start; runs[3 * nr + 2] = n - start; }
    nr++;
  }
  *nruns = nr;
  return kept;
}
