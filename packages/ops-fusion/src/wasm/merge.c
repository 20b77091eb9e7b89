// Kernels of the as-of join and linear interpolation over int64 keys (WebAssembly). The JS side
// (../util/wasm-merge.ts) copies the long (right/source) side in chunks of rows into this memory,
// each chunk with the row before it; per chunk the kernel checks that the keys ascend and answers
// the left/target rows that fall in it, so every long-side key is read from memory once. The JS
// references are lastAtMostMerge (../util/keys.ts) and linearFromLe (../ops/interpolate.ts);
// tests compare both. int64 compares are exact here for every value (no ordinal trick needed).
// Build: pnpm --filter @modaflow/ops-fusion build:wasm (clang-14, wasm-ld; -ffp-contract=off so
// slope·dx + y0 rounds twice, as in JS and numpy).
#include <stdint.h>
#include <wasm_simd128.h>

// The walk across chunks: next left row, its answer so far (a global right row index, -1 = none),
// and the last right key seen.
typedef struct {
  int32_t i;
  int32_t j;
  int64_t prev;
} walk;

// Whether s[a..len) ascends from *prev (updating it).
static int ascending(const int64_t *s, int a, int len, int64_t *prev) {
  int64_t p = *prev;
  int k = a;
  if (k < len) {
    if (s[k] < p) return 0;
    // Pairs (s[k], s[k+1]) and (s[k+1], s[k+2]) per step: lanes of s[k+1..k+2] < s[k..k+1].
    v128_t bad = wasm_i64x2_splat(0);
    for (; k + 2 < len; k += 2) {
      v128_t a0 = wasm_v128_load(s + k), a1 = wasm_v128_load(s + k + 1);
      bad = wasm_v128_or(bad, wasm_i64x2_lt(a1, a0));
    }
    if (wasm_v128_any_true(bad)) return 0;
    for (; k + 1 < len; k++) if (s[k + 1] < s[k]) return 0;
    p = s[len - 1];
  }
  *prev = p;
  return 1;
}

// The last row in [j, end) with key ≤ x, given s[j] ≤ x (or j = g0 − 1 = -1): strides of 16,
// then 8, 4, 2, 1 as selects, not branches (the strides' exit is the one mispredicted branch).
static inline int search(const int64_t *s, int g0, int end, int j, int64_t x) {
  while (j + 16 < end && s[j + 16 - g0] <= x) j += 16;
  for (int step = 8; step > 0; step >>= 1) {
    if (j + step < end) j += s[j + step - g0] <= x ? step : 0;
  }
  return j;
}

// One chunk of the right side: s[0..len) are global rows g0..g0+len, of which rows from `ov` on
// are new (ov = 1: s[0] is the previous chunk's last row). Left keys t[0..m) ascend. For each left
// row whose answer lies in the rows read so far (its key is below the chunk's last key, or every
// remaining row in the final chunk): out[i] = the last global right row with key ≤ t[i], or -1.
// Returns 0 when the right keys do not ascend.
int merge_le_i64(const int64_t *s, int ov, int len, int g0, int final, const int64_t *t, int m, int32_t *out, walk *w) {
  if (!ascending(s, ov, len, &w->prev)) return 0;
  int i = w->i, j = w->j;
  const int end = g0 + len;
  // Rows left over from earlier chunks have keys ≥ the previous chunk's last key: their answer is
  // at least that row (g0 when ov = 1).
  if (ov && j < g0) j = g0;
  const int64_t last = w->prev;
  for (; i < m; i++) {
    const int64_t x = t[i];
    if (!final && !(x < last)) break;
    j = search(s, g0, end, j, x);
    out[i] = j;
  }
  w->i = i;
  w->j = j;
  return 1;
}

// merge_le_i64 that also interpolates: y[0..len) are the values of the same rows, n the right
// side's row count. out[i] = numpy.interp at t[i] (the end values outside the right side's range).
// Returns 0 when the keys do not ascend, 2 when a NaN is met (a NaN sample: the caller's general
// path skips them), 1 otherwise.
int interp_i64(const int64_t *s, const double *y, int ov, int len, int g0, int final, int n, const int64_t *t, int m, double *out, walk *w) {
  if (!ascending(s, ov, len, &w->prev)) return 0;
  int i = w->i, j = w->j;
  const int end = g0 + len;
  if (ov && j < g0) j = g0;
  const int64_t last = w->prev;
  for (; i < m; i++) {
    const int64_t x = t[i];
    if (!final && !(x < last)) break;
    j = search(s, g0, end, j, x);
    double v;
    if (j < 0 || j == n - 1) {
      // j < 0 only in the first chunk (g0 = 0), j = n - 1 only in the last.
      v = y[(j < 0 ? 0 : j) - g0];
    } else {
      // numpy.interp: slope over [xp[j], xp[j+1]], then slope·(x − xp[j]) + fp[j]; the
      // distances are exact (the caller checked that the keys span less than 2^52).
      const int64_t s0 = s[j - g0];
      const double dx = (double)(x - s0), d1 = (double)(s[j + 1 - g0] - s0);
      const double y0 = y[j - g0], y1 = y[j + 1 - g0];
      const double slope = (y1 - y0) / d1;
      v = slope * dx + y0;
      if (v != v) {
        if (y0 != y0 || y1 != y1) { w->i = i; w->j = j; return 2; }
        v = slope * (dx - d1) + y1;
        if (v != v && y0 == y1) v = y0;
      }
    }
    if (v != v) { w->i = i; w->j = j; return 2; }
    out[i] = v;
  }
  w->i = i;
  w->j = j;
  return 1;
}

// Rows idx[i] of a column, for i from i0 on while idx[i] < c1: out[i] = y[idx[i] − c0], where y
// holds the column's rows c0..c1 (idx[i] = −1: out[i] = 0, the caller marks it null). idx must not
// decrease over its non-negative entries (an as-of join's answers for an ascending left side).
// Returns the next i, or −1 when an index falls before c0 (not monotone: the caller gathers
// another way).
int gather64(const int64_t *y, int c0, int c1, const int32_t *idx, int i0, int m, int64_t *out) {
  int i = i0;
  for (; i < m; i++) {
    const int32_t j = idx[i];
    if (j >= c1) break;
    if (j < 0) { out[i] = 0; continue; }
    if (j < c0) return -1;
    out[i] = y[j - c0];
  }
  return i;
}
