// WebAssembly SIMD (simd128) kernel of the spectral ops: STFT power/magnitude spectrum, sparse
// mel projection, dB / log, and the MFCC DCT, in float32 (like torchaudio).
//
// Four consecutive frames travel together, one per f32x4 lane: the FFT code is the scalar
// mixed-radix DIT FFT of fft.ts with every value a vector of 4 frames, so no shuffles are needed,
// and the mel output of frames t..t+3 for one band is 4 contiguous floats of the [bands, frames]
// layout. The real FFT of even length n is a complex FFT of n/2 points plus the split.
//
// No libc: the JS side (simd.ts) owns the memory layout, builds the plan (permutation, window,
// twiddles, filterbank) in float64 and writes it here as float32.
//
// Build: packages/ops-audio/package.json "build:wasm" (clang-14, wasm-ld).
#include <wasm_simd128.h>

typedef v128_t V;

#define EXPORT(name) __attribute__((export_name(name)))
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat
#define LD(p) wasm_v128_load32_splat(p)

// Laid out by simd.ts as 4-byte words; keep the field order in sync with PLAN_* there.
typedef struct {
  int h;              // complex FFT length (n_fft / 2)
  int nstages;
  int power;          // 2 = power, 1 = magnitude
  int nmels;          // 0 = write the spectrum itself (h + 1 bins)
  const int *perm;    // h: frame sample index (even) read by gathered point i
  const float *win;   // n_fft
  const float *split; // 2h: cos, sin of -2πk/n_fft, interleaved
  const float *twfull;// 2h: cos, sin of -2πk/h (generic radix)
  const int *mstart;  // nmels: first bin of each filter
  const int *mlen;    // nmels: number of bins of each filter
  const float *mw;    // the filters' weights, back to back
  V *work;            // (5h + 1 + 2·maxp) vectors
  int sp[16];         // radix of stage s (stage 0 outermost)
  int sm[16];         // butterfly span m of stage s
  int sf[16];         // twiddle stride (generic radix)
  const float *stw[16]; // radix 2–5: (w1r, w1i, …, w(p-1)r, w(p-1)i) per k
  float y3i;          // sin(-2π/3)
  float y5[4];        // cos, sin of -2π/5 and -4π/5
} Plan;

static void bfly2(V *re, V *im, int m, const float *tw) {
  for (int k = 0; k < m; k++) {
    V c = LD(tw + 2 * k), s = LD(tw + 2 * k + 1);
    V xr = re[k + m], xi = im[k + m];
    V tr = SUB(MUL(xr, c), MUL(xi, s)), ti = ADD(MUL(xr, s), MUL(xi, c));
    V ar = re[k], ai = im[k];
    re[k + m] = SUB(ar, tr); im[k + m] = SUB(ai, ti);
    re[k] = ADD(ar, tr); im[k] = ADD(ai, ti);
  }
}

static void bfly2Leaf(V *re, V *im, int h) {
  for (int i = 0; i < h; i += 2) {
    V ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
    re[i] = ADD(ar, br); im[i] = ADD(ai, bi);
    re[i + 1] = SUB(ar, br); im[i + 1] = SUB(ai, bi);
  }
}

static void bfly4(V *re, V *im, int m, const float *tw) {
  for (int k = 0; k < m; k++) {
    const float *w = tw + 6 * k;
    V w1r = LD(w), w1i = LD(w + 1), w2r = LD(w + 2), w2i = LD(w + 3), w3r = LD(w + 4), w3i = LD(w + 5);
    V x1r = re[k + m], x1i = im[k + m], x2r = re[k + 2 * m], x2i = im[k + 2 * m], x3r = re[k + 3 * m], x3i = im[k + 3 * m];
    V s0r = SUB(MUL(x1r, w1r), MUL(x1i, w1i)), s0i = ADD(MUL(x1r, w1i), MUL(x1i, w1r));
    V s1r = SUB(MUL(x2r, w2r), MUL(x2i, w2i)), s1i = ADD(MUL(x2r, w2i), MUL(x2i, w2r));
    V s2r = SUB(MUL(x3r, w3r), MUL(x3i, w3i)), s2i = ADD(MUL(x3r, w3i), MUL(x3i, w3r));
    V ar = re[k], ai = im[k];
    V s5r = SUB(ar, s1r), s5i = SUB(ai, s1i);
    V f0r = ADD(ar, s1r), f0i = ADD(ai, s1i);
    V s3r = ADD(s0r, s2r), s3i = ADD(s0i, s2i);
    V s4r = SUB(s0r, s2r), s4i = SUB(s0i, s2i);
    re[k + 2 * m] = SUB(f0r, s3r); im[k + 2 * m] = SUB(f0i, s3i);
    re[k] = ADD(f0r, s3r); im[k] = ADD(f0i, s3i);
    re[k + m] = ADD(s5r, s4i); im[k + m] = SUB(s5i, s4r);
    re[k + 3 * m] = SUB(s5r, s4i); im[k + 3 * m] = ADD(s5i, s4r);
  }
}

// Radix 3 and 5 (kissfft's kf_bfly3 / kf_bfly5): n_fft 400 (torchaudio's and Whisper's default)
// has h = 200 = 4·2·5·5. tw: (w1r, w1i, …, w(p-1)r, w(p-1)i) per k; y = e^(-2πi/p), e^(-4πi/p).
static void bfly3(V *re, V *im, int m, const float *tw, float y1i) {
  const V half = SPLAT(0.5f), ei = SPLAT(y1i);
  for (int k = 0; k < m; k++) {
    const float *w = tw + 4 * k;
    V w1r = LD(w), w1i = LD(w + 1), w2r = LD(w + 2), w2i = LD(w + 3);
    V x1r = re[k + m], x1i = im[k + m], x2r = re[k + 2 * m], x2i = im[k + 2 * m];
    V s1r = SUB(MUL(x1r, w1r), MUL(x1i, w1i)), s1i = ADD(MUL(x1r, w1i), MUL(x1i, w1r));
    V s2r = SUB(MUL(x2r, w2r), MUL(x2i, w2i)), s2i = ADD(MUL(x2r, w2i), MUL(x2i, w2r));
    V s3r = ADD(s1r, s2r), s3i = ADD(s1i, s2i);
    V s0r = MUL(SUB(s1r, s2r), ei), s0i = MUL(SUB(s1i, s2i), ei);
    V ar = re[k], ai = im[k];
    V f1r = SUB(ar, MUL(s3r, half)), f1i = SUB(ai, MUL(s3i, half));
    re[k] = ADD(ar, s3r); im[k] = ADD(ai, s3i);
    re[k + 2 * m] = ADD(f1r, s0i); im[k + 2 * m] = SUB(f1i, s0r);
    re[k + m] = SUB(f1r, s0i); im[k + m] = ADD(f1i, s0r);
  }
}

static void bfly5(V *re, V *im, int m, const float *tw, const float *y) {
  const V yar = LD(y), yai = LD(y + 1), ybr = LD(y + 2), ybi = LD(y + 3);
  for (int k = 0; k < m; k++) {
    const float *w = tw + 8 * k;
    V x1r = re[k + m], x1i = im[k + m], x2r = re[k + 2 * m], x2i = im[k + 2 * m];
    V x3r = re[k + 3 * m], x3i = im[k + 3 * m], x4r = re[k + 4 * m], x4i = im[k + 4 * m];
    V w1r = LD(w), w1i = LD(w + 1), w2r = LD(w + 2), w2i = LD(w + 3);
    V w3r = LD(w + 4), w3i = LD(w + 5), w4r = LD(w + 6), w4i = LD(w + 7);
    V s1r = SUB(MUL(x1r, w1r), MUL(x1i, w1i)), s1i = ADD(MUL(x1r, w1i), MUL(x1i, w1r));
    V s2r = SUB(MUL(x2r, w2r), MUL(x2i, w2i)), s2i = ADD(MUL(x2r, w2i), MUL(x2i, w2r));
    V s3r = SUB(MUL(x3r, w3r), MUL(x3i, w3i)), s3i = ADD(MUL(x3r, w3i), MUL(x3i, w3r));
    V s4r = SUB(MUL(x4r, w4r), MUL(x4i, w4i)), s4i = ADD(MUL(x4r, w4i), MUL(x4i, w4r));
    V s0r = re[k], s0i = im[k];
    V s7r = ADD(s1r, s4r), s7i = ADD(s1i, s4i), s10r = SUB(s1r, s4r), s10i = SUB(s1i, s4i);
    V s8r = ADD(s2r, s3r), s8i = ADD(s2i, s3i), s9r = SUB(s2r, s3r), s9i = SUB(s2i, s3i);
    re[k] = ADD(s0r, ADD(s7r, s8r)); im[k] = ADD(s0i, ADD(s7i, s8i));
    V s5r = ADD(s0r, ADD(MUL(s7r, yar), MUL(s8r, ybr))), s5i = ADD(s0i, ADD(MUL(s7i, yar), MUL(s8i, ybr)));
    V s6r = ADD(MUL(s10i, yai), MUL(s9i, ybi)), s6i = wasm_f32x4_neg(ADD(MUL(s10r, yai), MUL(s9r, ybi)));
    re[k + m] = SUB(s5r, s6r); im[k + m] = SUB(s5i, s6i);
    re[k + 4 * m] = ADD(s5r, s6r); im[k + 4 * m] = ADD(s5i, s6i);
    V s11r = ADD(s0r, ADD(MUL(s7r, ybr), MUL(s8r, yar))), s11i = ADD(s0i, ADD(MUL(s7i, ybr), MUL(s8i, yar)));
    V s12r = SUB(MUL(s9i, yai), MUL(s10i, ybi)), s12i = SUB(MUL(s10r, ybi), MUL(s9r, yai));
    re[k + 2 * m] = ADD(s11r, s12r); im[k + 2 * m] = ADD(s11i, s12i);
    re[k + 3 * m] = SUB(s11r, s12r); im[k + 3 * m] = SUB(s11i, s12i);
  }
}

// Any radix p (odd factors of h): O(p²) per butterfly with the full twiddle table.
static void bflyGeneric(V *re, V *im, int m, int p, int fstride, int h, const float *tw, V *sr, V *si) {
  for (int u = 0; u < m; u++) {
    for (int q = 0, k = u; q < p; q++, k += m) { sr[q] = re[k]; si[q] = im[k]; }
    for (int q1 = 0, k = u; q1 < p; q1++, k += m) {
      V accr = sr[0], acci = si[0];
      int t = 0;
      int step = (int)(((long long)fstride * k) % h);
      for (int q = 1; q < p; q++) {
        t += step;
        if (t >= h) t -= h;
        V c = LD(tw + 2 * t), s = LD(tw + 2 * t + 1);
        accr = ADD(accr, SUB(MUL(sr[q], c), MUL(si[q], s)));
        acci = ADD(acci, ADD(MUL(sr[q], s), MUL(si[q], c)));
      }
      re[k] = accr; im[k] = acci;
    }
  }
}

static inline V frame4(const float *a, const float *b, const float *c, const float *d, int j) {
  return wasm_f32x4_make(a[j], b[j], c[j], d[j]);
}

// tb[j] = (f0[j], f1[j], f2[j], f3[j]) · win[j] for j < n: 4×4 transposes of contiguous loads,
// cheaper than building each vector lane by lane in the FFT's gather order.
static void transpose4(const float *f0, const float *f1, const float *f2, const float *f3, const float *win, int n, V *tb) {
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    V a = wasm_v128_load(f0 + j), b = wasm_v128_load(f1 + j), c = wasm_v128_load(f2 + j), d = wasm_v128_load(f3 + j);
    V t0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
    V t2 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
    tb[j] = MUL(wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5), LD(win + j));
    tb[j + 1] = MUL(wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7), LD(win + j + 1));
    tb[j + 2] = MUL(wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5), LD(win + j + 2));
    tb[j + 3] = MUL(wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7), LD(win + j + 3));
  }
  for (; j < n; j++) tb[j] = MUL(frame4(f0, f1, f2, f3, j), LD(win + j));
}

// Spectrum of 4 frames (starting at f[0..3]) into spec[0..h] (h + 1 vectors).
static void spectrum4(const Plan *P, const float *f0, const float *f1, const float *f2, const float *f3, V *re, V *im, V *spec, V *scr, V *tb) {
  const int h = P->h, ns = P->nstages;
  const int *perm = P->perm;
  transpose4(f0, f1, f2, f3, P->win, 2 * h, tb);
  int last = ns - 1;
  if (ns > 0 && P->sp[last] == 4 && P->sm[last] == 1) {
    // Gather and the innermost (twiddle-free) radix-4 butterflies in one pass.
    for (int i = 0; i < h; i += 4) {
      const V *a = tb + perm[i], *b = tb + perm[i + 1], *c = tb + perm[i + 2], *d = tb + perm[i + 3];
      V ar = a[0], ai = a[1], br = b[0], bi = b[1], cr = c[0], ci = c[1], dr = d[0], di = d[1];
      V s5r = SUB(ar, cr), s5i = SUB(ai, ci), g0r = ADD(ar, cr), g0i = ADD(ai, ci);
      V s3r = ADD(br, dr), s3i = ADD(bi, di), s4r = SUB(br, dr), s4i = SUB(bi, di);
      re[i + 2] = SUB(g0r, s3r); im[i + 2] = SUB(g0i, s3i);
      re[i] = ADD(g0r, s3r); im[i] = ADD(g0i, s3i);
      re[i + 1] = ADD(s5r, s4i); im[i + 1] = SUB(s5i, s4r);
      re[i + 3] = SUB(s5r, s4i); im[i + 3] = ADD(s5i, s4r);
    }
    last--;
  } else {
    for (int i = 0; i < h; i++) {
      const V *a = tb + perm[i];
      re[i] = a[0];
      im[i] = a[1];
    }
  }
  for (int s = last; s >= 0; s--) {
    const int p = P->sp[s], m = P->sm[s], block = p * m;
    const float *tw = P->stw[s];
    if (p == 4) for (int off = 0; off < h; off += block) bfly4(re + off, im + off, m, tw);
    else if (p == 2 && m == 1) bfly2Leaf(re, im, h);
    else if (p == 2) for (int off = 0; off < h; off += block) bfly2(re + off, im + off, m, tw);
    else if (p == 3) for (int off = 0; off < h; off += block) bfly3(re + off, im + off, m, tw, P->y3i);
    else if (p == 5) for (int off = 0; off < h; off += block) bfly5(re + off, im + off, m, tw, P->y5);
    else for (int off = 0; off < h; off += block) bflyGeneric(re + off, im + off, m, p, P->sf[s], h, P->twfull, scr, scr + p);
  }
  // Real split: X[k] = (e - i·W^k·d)/2 with e = Z[k] + conj(Z[h-k]), d = Z[k] - conj(Z[h-k]);
  // bins k and h-k share one complex multiply. X[0] and X[h] are real.
  const float *sw = P->split;
  V z0r = re[0], z0i = im[0];
  V a0 = ADD(z0r, z0i), ah = SUB(z0r, z0i);
  spec[0] = MUL(a0, a0);
  spec[h] = MUL(ah, ah);
  const V q = SPLAT(0.25f);
  for (int k = 1, j = h - 1; k <= j; k++, j--) {
    V ar = re[k], ai = im[k], br = re[j], bi = wasm_f32x4_neg(im[j]);
    V er = ADD(ar, br), ei = ADD(ai, bi), dr = SUB(ar, br), di = SUB(ai, bi);
    V c = LD(sw + 2 * k), s = LD(sw + 2 * k + 1);
    V tr = SUB(MUL(dr, c), MUL(di, s)), ti = ADD(MUL(dr, s), MUL(di, c));
    V xr = ADD(er, ti), xi = SUB(ei, tr);
    spec[k] = MUL(q, ADD(MUL(xr, xr), MUL(xi, xi)));
    if (j != k) {
      V yr = SUB(er, ti), yi = ADD(ei, tr);
      spec[j] = MUL(q, ADD(MUL(yr, yr), MUL(yi, yi)));
    }
  }
  if (P->power == 1) for (int k = 0; k <= h; k++) spec[k] = wasm_f32x4_sqrt(spec[k]);
}

static inline void store_lanes(float *p, V v, int lanes) {
  if (lanes >= 4) { wasm_v128_store(p, v); return; }
  wasm_v128_store32_lane(p, v, 0);
  if (lanes > 1) wasm_v128_store32_lane(p + 1, v, 1);
  if (lanes > 2) wasm_v128_store32_lane(p + 2, v, 2);
}

// Frames 0..nframes-1 of `sig` (frame t starts at sig + t·hop; the caller has padded it) →
// out[b·ostride + t]: mel energies (b < nmels) or, with nmels = 0, the spectrum (b ≤ h).
EXPORT("spectral_frames")
void spectral_frames(const Plan *P, const float *sig, int nframes, int hop, float *out, int ostride) {
  const int h = P->h, M = P->nmels;
  V *re = P->work, *im = re + h, *spec = im + h, *tb = spec + h + 1, *scr = tb + 2 * h;
  for (int t = 0; t < nframes; t += 4) {
    int lanes = nframes - t < 4 ? nframes - t : 4;
    int last = t + lanes - 1;
    const float *f0 = sig + t * hop;
    const float *f1 = sig + (t + 1 > last ? last : t + 1) * hop;
    const float *f2 = sig + (t + 2 > last ? last : t + 2) * hop;
    const float *f3 = sig + (t + 3 > last ? last : t + 3) * hop;
    spectrum4(P, f0, f1, f2, f3, re, im, spec, scr, tb);
    if (M == 0) {
      for (int k = 0; k <= h; k++) store_lanes(out + k * ostride + t, spec[k], lanes);
      continue;
    }
    const int *st = P->mstart, *ln = P->mlen;
    const float *w = P->mw;
    for (int m = 0; m < M; m++) {
      const V *s = spec + st[m];
      const int n = ln[m];
      V acc0 = wasm_f32x4_const_splat(0.0f), acc1 = acc0;
      int k = 0;
      for (; k + 1 < n; k += 2) {
        acc0 = ADD(acc0, MUL(s[k], LD(w + k)));
        acc1 = ADD(acc1, MUL(s[k + 1], LD(w + k + 1)));
      }
      if (k < n) acc0 = ADD(acc0, MUL(s[k], LD(w + k)));
      w += n;
      store_lanes(out + m * ostride + t, ADD(acc0, acc1), lanes);
    }
  }
}

// Natural log of positive normal floats; NaN stays NaN, +Inf stays +Inf. x = 2^e·m with m in
// [√½, √2); ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172: 2s(1 + s²/3 + s⁴/5 + s⁶/7)
// leaves < 3e-8 out; e·ln 2 in two parts (Cephes' split) so large exponents stay exact.
static inline V vlog(V x) {
  const V one = SPLAT(1.0f);
  V e = wasm_i32x4_sub(wasm_u32x4_shr(x, 23), wasm_i32x4_splat(127));
  V m = wasm_v128_or(wasm_v128_and(x, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f800000));
  V big = wasm_f32x4_gt(m, SPLAT(1.41421356237f));
  m = wasm_v128_bitselect(MUL(m, SPLAT(0.5f)), m, big);
  V fe = wasm_f32x4_convert_i32x4(wasm_i32x4_sub(e, big));
  V s = wasm_f32x4_div(SUB(m, one), ADD(m, one));
  V z = MUL(s, s);
  V p = ADD(MUL(z, SPLAT(2.0f / 7.0f)), SPLAT(2.0f / 5.0f));
  p = ADD(MUL(p, z), SPLAT(2.0f / 3.0f));
  V r = ADD(MUL(MUL(p, z), s), ADD(s, s));
  r = ADD(ADD(r, MUL(fe, SPLAT(-2.12194440e-4f))), MUL(fe, SPLAT(0.693359375f)));
  const V inf = SPLAT(__builtin_inff());
  r = wasm_v128_bitselect(x, r, wasm_f32x4_eq(x, inf));      // log(+Inf) = +Inf
  return wasm_v128_bitselect(x, r, wasm_f32x4_ne(x, x));     // NaN in, NaN out
}

static inline V load_tail(const float *x, int n) {
  float a = x[0];
  return wasm_f32x4_make(a, n > 1 ? x[1] : a, n > 2 ? x[2] : a, n > 3 ? x[3] : a);
}

// x ← k·ln(max(x, amin)) − offset in place; values ≤ amin (and NaN, like `a > amin ? a : amin`)
// become `atmin`, that value computed exactly by the caller (silence is exactly −100 dB). Returns
// the maximum of the results (-Inf for n = 0).
EXPORT("to_db")
float to_db(float *x, int n, float k, float amin, float offset, float atmin) {
  const V vk = SPLAT(k), va = SPLAT(amin), vo = SPLAT(offset), vm = SPLAT(atmin);
  V mx = SPLAT(-__builtin_inff()), mx2 = mx;
  int i = 0;
  // Two independent vectors per iteration: the log's polynomial is one long dependency chain.
  for (; i + 8 <= n; i += 8) {
    V v = wasm_v128_load(x + i), u = wasm_v128_load(x + i + 4);
    V av = wasm_f32x4_gt(v, va), au = wasm_f32x4_gt(u, va);
    V lv = vlog(wasm_v128_bitselect(v, va, av)), lu = vlog(wasm_v128_bitselect(u, va, au));
    V rv = wasm_v128_bitselect(SUB(MUL(vk, lv), vo), vm, av);
    V ru = wasm_v128_bitselect(SUB(MUL(vk, lu), vo), vm, au);
    mx = wasm_f32x4_max(mx, rv);
    mx2 = wasm_f32x4_max(mx2, ru);
    wasm_v128_store(x + i, rv);
    wasm_v128_store(x + i + 4, ru);
  }
  mx = wasm_f32x4_max(mx, mx2);
  for (; i < n; i += 4) {
    int lanes = n - i < 4 ? n - i : 4;
    V v = lanes == 4 ? wasm_v128_load(x + i) : load_tail(x + i, lanes);
    V above = wasm_f32x4_gt(v, va);
    v = wasm_v128_bitselect(v, va, above);
    V r = wasm_v128_bitselect(SUB(MUL(vk, vlog(v)), vo), vm, above);
    mx = wasm_f32x4_max(mx, r);
    store_lanes(x + i, r, lanes);
  }
  float a = wasm_f32x4_extract_lane(mx, 0), b = wasm_f32x4_extract_lane(mx, 1);
  float c = wasm_f32x4_extract_lane(mx, 2), d = wasm_f32x4_extract_lane(mx, 3);
  float m1 = a > b ? a : b, m2 = c > d ? c : d;
  return m1 > m2 ? m1 : m2;
}

// x ← ln(x + eps) in place (torchaudio MFCC's log_mels).
EXPORT("log_eps")
void log_eps(float *x, int n, float eps) {
  const V ve = SPLAT(eps);
  for (int i = 0; i < n; i += 4) {
    int lanes = n - i < 4 ? n - i : 4;
    V v = lanes == 4 ? wasm_v128_load(x + i) : load_tail(x + i, lanes);
    store_lanes(x + i, vlog(ADD(v, ve)), lanes);
  }
}

// out[k·ostride + t] = Σ_m D[k·M + m] · max'(in[m·istride + t], floor) for t < T, k < K, where
// max' keeps NaN (like `if (x < floor) x = floor`); floor = -Inf for none. D holds ⌈K/6⌉·6 rows
// (zero rows past K): 6 coefficients at a time share each floored input vector.
EXPORT("dct")
void dct(const float *in, int M, int T, int istride, float floor, const float *D, int K, float *out, int ostride) {
  const V vf = SPLAT(floor);
  for (int t = 0; t < T; t += 4) {
    const int lanes = T - t < 4 ? T - t : 4;
    for (int k0 = 0; k0 < K; k0 += 6) {
      const float *d = D + k0 * M;
      V a0 = wasm_f32x4_const_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
      for (int m = 0; m < M; m++) {
        const float *row = in + m * istride + t;
        V x = lanes == 4 ? wasm_v128_load(row) : load_tail(row, lanes);
        x = wasm_v128_bitselect(vf, x, wasm_f32x4_lt(x, vf));
        a0 = ADD(a0, MUL(LD(d + m), x));
        a1 = ADD(a1, MUL(LD(d + M + m), x));
        a2 = ADD(a2, MUL(LD(d + 2 * M + m), x));
        a3 = ADD(a3, MUL(LD(d + 3 * M + m), x));
        a4 = ADD(a4, MUL(LD(d + 4 * M + m), x));
        a5 = ADD(a5, MUL(LD(d + 5 * M + m), x));
      }
      float *o = out + k0 * ostride + t;
      const int g = K - k0 < 6 ? K - k0 : 6;
      store_lanes(o, a0, lanes);
      if (g > 1) store_lanes(o + ostride, a1, lanes);
      if (g > 2) store_lanes(o + 2 * ostride, a2, lanes);
      if (g > 3) store_lanes(o + 3 * ostride, a3, lanes);
      if (g > 4) store_lanes(o + 4 * ostride, a4, lanes);
      if (g > 5) store_lanes(o + 5 * ostride, a5, lanes);
    }
  }
}

// x ← floor where x < floor (NaN stays NaN, like `if (x < floor) x = floor`).
EXPORT("floor_at")
void floor_at(float *x, int n, float floor) {
  const V vf = SPLAT(floor);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    V v = wasm_v128_load(x + i);
    wasm_v128_store(x + i, wasm_v128_bitselect(vf, v, wasm_f32x4_lt(v, vf)));
  }
  for (; i < n; i++) if (x[i] < floor) x[i] = floor;
}
