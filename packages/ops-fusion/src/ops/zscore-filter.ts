// fusion.zscore-filter: drop rows whose value lies more than `threshold` standard deviations (or
// robust MADs) from the dataset-wide — or per-group — centre. A global op: a statistics phase over
// the whole input, then a row-local filter.
import type { DType, Float64, GlobalStats, KernelInput, KernelResult, OpCall, Schema } from '@modaflow/core';
import { defineOp, dt, dtypeToString, getValue, InvalidArgumentError, isValid } from '@modaflow/core';
import { addExact, centeredSumTimesN, exactSum, mergeExact, roundExact, type ExactSum } from '../util/exact-sum.ts';
import { rowValues, timesPow2, type Reduction } from '../util/reduce.ts';
import { NUMERIC_KINDS } from '../util/columns.ts';
import { keptIntervalF32, zscoreKeeps } from '../util/fast-moments.ts';
import { addMomentsF32Wasm, keepRunsF32Wasm, WASM_CHUNK } from '../util/wasm-moments.ts';

export interface ZscoreFilterParams {
  readonly column: string;
  /** The column's dtype (default float64): a numeric scalar, or a tensor reduced with `reduce`. */
  readonly dtype?: DType;
  /** Keep rows with |z| <= threshold (default 3). */
  readonly threshold?: number;
  /** Group column: centre and scale are computed per group (a null key is a group of its own). */
  readonly by?: string;
  /** The group column's dtype (default utf8). */
  readonly byDtype?: DType;
  /** Median and MAD·1.4826 instead of mean and standard deviation (robust to the outliers themselves). */
  readonly robust?: boolean;
  /** How a tensor row becomes one number (default 'rms'). */
  readonly reduce?: Reduction;
  /** Delta degrees of freedom of the standard deviation (default 1, like pandas). */
  readonly ddof?: number;
  /** Rows without a value (null, NaN, ±Infinity, empty tensor): 'drop' (default, like pandas) or 'keep'. */
  readonly nulls?: 'drop' | 'keep';
  /** Also write the z-score (float64, null where no value) to this column. */
  readonly output?: string;
}

/** Normal-consistency constant of the MAD: 1 / Φ⁻¹(3/4). */
export const MAD_SCALE = 1.482602218505602;

const OP = 'fusion.zscore-filter';

/**
 * A group's moments: exact Σy and Σy² of y = x·2^-e, where e is a function of the largest
 * magnitude m seen (a multiple of 240 toward zero of log2 m, at least −960: m·2^-e stays within
 * [2^-239, 2^240)), so that neither the squares nor their sum over 2^53 rows can overflow
 * (|x| > 1.3e154 squares to ∞) or the largest ones underflow (|x| < 1.5e-154 squares into the
 * subnormals, where bits are lost). Rescaling is by powers of two: exact, bar partials below
 * 2^-1074. Since e depends on m alone, every order and batching of the rows ends with the same
 * e, and the statistics stay order-free. Values with m in [2^-239, 2^240) — every float32 column —
 * keep e = 0 and the fast path. (Without it a float64 column of values near 1e200 gave Σx² = ∞ and
 * the filter dropped every row without a word.)
 */
interface GroupAcc { n: number; sum: ExactSum; sumSq: ExactSum; values: number[]; e: number; m: number; /** 2^-e */ down: number }
type Acc = Map<string, GroupAcc>;
/** Per group key: [centre, scale]. Plain data so it can be sent to workers. */
export interface ZscoreStats { readonly groups: Record<string, readonly [number, number]> }

/** A batch's rows by group: each row's index into `keys` (the groups' keyOf strings, in first-seen order). */
interface GroupCodes { readonly codes: Int32Array; readonly keys: string[] }

const utf8 = new TextDecoder();

/**
 * The `by` column's groups for one batch. utf8 keys are grouped by their bytes (a hash, then a byte
 * compare) and decoded once per group, not once per row; other key types go through one Map of
 * their key strings. Either way a group's key is keyOf of its value, as the statistics record it.
 */
function groupCodes(input: KernelInput, p: ZscoreFilterParams): GroupCodes | null {
  if (p.by === undefined) return null;
  const t = p.byDtype ?? dt.utf8();
  const d = input.data(p.by);
  const n = input.numRows;
  const codes = new Int32Array(n);
  const keys: string[] = [];
  if (t.kind === 'utf8') {
    const o = d.valueOffsets as Int32Array, bytes = d.values as Uint8Array;
    const byHash = new Map<number, number[]>();
    const at: number[] = []; // per group: the row whose bytes stand for it
    let nullCode = -1;
    for (let i = 0; i < n; i++) {
      if (!isValid(d, i)) {
        if (nullCode < 0) { nullCode = keys.length; keys.push(keyOf(null)); at.push(-1); }
        codes[i] = nullCode;
        continue;
      }
      const a = o[i]!, b = o[i + 1]!;
      let h = 0x811c9dc5 ^ (b - a);
      for (let j = a; j < b; j++) h = Math.imul(h ^ bytes[j]!, 0x01000193);
      let cands = byHash.get(h), code = -1;
      if (cands) {
        for (const g of cands) {
          const r = at[g]!, ra = o[r]!;
          if (o[r + 1]! - ra !== b - a) continue;
          let j = 0;
          while (j < b - a && bytes[ra + j] === bytes[a + j]) j++;
          if (j === b - a) { code = g; break; }
        }
      } else byHash.set(h, (cands = []));
      if (code < 0) { code = keys.length; keys.push(keyOf(utf8.decode(bytes.subarray(a, b)))); at.push(i); cands.push(code); }
      codes[i] = code;
    }
    return { codes, keys };
  }
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = keyOf(getValue(t, d, i));
    let code = index.get(k);
    if (code === undefined) { code = keys.length; keys.push(k); index.set(k, code); }
    codes[i] = code;
  }
  return { codes, keys };
}

/**
 * The column as a Float32Array when the fast paths apply: a float32 scalar column without nulls,
 * global (no `by`) mean/std statistics.
 */
function plainF32(input: KernelInput, p: ZscoreFilterParams): Float32Array | null {
  if (p.by !== undefined || p.robust || p.dtype?.kind !== 'float32') return null;
  const d = input.data(p.column);
  if (d.nullCount !== 0) return null;
  const v = d.values as Float32Array;
  return v.length === input.numRows ? v : v.subarray(0, input.numRows);
}

function keyOf(v: unknown): string {
  return v === null ? '\u0000null' : typeof v === 'bigint' ? `${v}n` : `${typeof v}:${String(v)}`;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const m = n >> 1;
  return n % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** The exponent of a group's sums for largest magnitude m (see GroupAcc). */
const SCALE_STEP = 240;
// (At least −960: 2^-e must stay finite, and subnormal m (≥ 2^-1074) still scales to ≥ 2^-114.)
const exponentFor = (m: number): number => (m > 0 ? Math.max(-4 * SCALE_STEP, Math.trunc(Math.floor(Math.log2(m)) / SCALE_STEP) * SCALE_STEP) : 0);

/** A group fed by the float32 fast path keeps e = 0: float32 magnitudes lie in [2^-149, 2^128]. */
const newGroup = (f32 = false): GroupAcc => ({ n: 0, sum: exactSum(), sumSq: exactSum(), values: [], e: 0, m: f32 ? 2 ** 128 : 0, down: 1 });

/** An exact sum times 2^k, in steps that stay finite (partials that underflow to 0 drop out). */
function scaleExact(s: ExactSum, k: number): void {
  const old = Array.from(s.p.subarray(0, s.n));
  s.n = 0;
  for (const q of old) {
    const v = timesPow2(q, k);
    if (v !== 0) addExact(s, v);
  }
}

/** Rescale a group's sums to exponent e. */
function rescale(g: GroupAcc, e: number): void {
  const d = g.e - e;
  if (d === 0) return;
  scaleExact(g.sum, d);
  scaleExact(g.sumSq, 2 * d);
  g.e = e;
  g.down = 2 ** -e;
}

const stats: GlobalStats<ZscoreFilterParams, Acc, ZscoreStats> = {
  init: () => new Map(),
  update(acc, input, p) {
    const f32 = plainF32(input, p);
    // (float32 values are below 2^128: a group fed only by this path keeps e = 0.)
    if (f32 && (acc.get('')?.e ?? 0) === 0) {
      let g = acc.get('');
      if (!g) acc.set('', (g = newGroup(true)));
      g.n += addMomentsF32Wasm(f32, g.sum, g.sumSq);
      return acc;
    }
    const v = rowValues(input, p.column, p.dtype ?? dt.float64(), p.reduce);
    const groups = groupCodes(input, p);
    // The batch's groups' accumulators, looked up once per group rather than once per row (and
    // made on a group's first value, as before: a group of only NaN has no statistics).
    const accs: (GroupAcc | undefined)[] = [];
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isNaN(x)) continue;
      const code = groups ? groups.codes[i]! : 0;
      let g = accs[code];
      if (!g) {
        const k = groups ? groups.keys[code]! : '';
        g = acc.get(k);
        if (!g) acc.set(k, (g = newGroup()));
        accs[code] = g;
      }
      g.n++;
      if (p.robust) { g.values.push(x); continue; }
      const a = Math.abs(x);
      if (a > g.m) { g.m = a; rescale(g, exponentFor(a)); }
      const y = g.e === 0 ? x : x * g.down;
      addExact(g.sum, y);
      const sq = y * y;
      addExact(g.sumSq, sq);
      // y² is rounded; keep its rounding error too so Σy² stays exact.
      const c = 134217729 * y, yh = c - (c - y), yl = y - yh;
      const e = ((yh * yh - sq) + 2 * yh * yl) + yl * yl;
      if (e !== 0) addExact(g.sumSq, e);
    }
    return acc;
  },
  merge(a, b) {
    for (const [k, gb] of b) {
      const ga = a.get(k);
      if (!ga) { a.set(k, gb); continue; }
      ga.n += gb.n;
      ga.m = Math.max(ga.m, gb.m);
      const e = exponentFor(ga.m);
      rescale(ga, e);
      rescale(gb, e);
      mergeExact(ga.sum, gb.sum);
      mergeExact(ga.sumSq, gb.sumSq);
      for (const x of gb.values) ga.values.push(x);
    }
    return a;
  },
  finalize(acc, p) {
    const groups: Record<string, readonly [number, number]> = {};
    const ddof = p.ddof ?? 1;
    for (const [k, g] of acc) {
      if (p.robust) {
        const s = Float64Array.from(g.values).sort();
        const med = median(s);
        const dev = s.map((x) => Math.abs(x - med)).sort();
        groups[k] = [med, median(dev) * MAD_SCALE];
      } else {
        // In units of 2^e: the mean and the standard deviation scale back exactly (powers of two).
        const scale = 2 ** g.e;
        const mean = (roundExact(g.sum) / g.n) * scale;
        const denom = g.n * (g.n - ddof);
        const v = denom > 0 ? Math.max(0, centeredSumTimesN(g.n, g.sum, g.sumSq)) / denom : NaN;
        groups[k] = [mean, Math.sqrt(v) * scale];
      }
    }
    return { groups };
  },
};

/** Declared µs per row of the row-local filter, from op-costs.bench.ts (see properties). */
function zscoreCost(p: ZscoreFilterParams): number {
  const t = p.dtype ?? dt.float64();
  if (t.kind === 'float32' && p.by === undefined && !p.robust && p.output === undefined && p.nulls !== 'keep') return 0.002;
  const scalar = t.kind !== 'tensor' && t.kind !== 'varTensor';
  return Number(((scalar ? 0.03 : 0.8) + (p.output !== undefined ? 0.04 : 0) + (p.by !== undefined ? 0.05 : 0)).toPrecision(2));
}

const def = defineOp<ZscoreFilterParams, undefined, ZscoreStats>({
  name: OP,
  module: import.meta.url,
  description: 'keep rows within threshold standard deviations (or MADs) of the dataset or group centre',
  inputs: (p) => ({ [p.column]: p.dtype ?? dt.float64(), ...(p.by !== undefined ? { [p.by]: p.byDtype ?? dt.utf8() } : {}) }),
  outputs: (p): Schema => (p.output !== undefined ? { [p.output]: dt.float64() } : {}),
  // costPerRow, µs, of the row-local filter (the statistics phase runs on the coordinating thread):
  // measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM (2026-11-27; core's
  // applyOp over 64k-row batches after JIT warm-up, median of 7 runs): the float32 fast path
  // 0.001–0.002 (WebAssembly keep pass; ~0.02 in runs where its output lands on pages touched for
  // the first time), other scalars 0.02–0.04 (+0.04 writing z), tensors reduced per row ~0.8 whatever
  // their width (a JS object per row), +0.05 with `by` groups (utf8 keys grouped by their bytes,
  // 16 groups: 0.079 in all; ~1.5 when each row made a JS string and core copied string columns as
  // strings). A float32 batch with nulls takes the scalar path (0.04): the plan cannot know. Was
  // 0.05 for every case.
  properties: (p) => ({ filters: true, selectivity: 0.99, costPerRow: zscoreCost(p) }),
  validate(p) {
    const t = p.dtype ?? dt.float64();
    if (!NUMERIC_KINDS.has(t.kind) && t.kind !== 'tensor' && t.kind !== 'varTensor') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `column '${p.column}' dtype ${dtypeToString(t)} is not numeric or a tensor`, { op: OP, column: p.column, fix: 'pass dtype: dt.float64() (or the tensor dtype with reduce)' });
    }
    if (p.threshold !== undefined && !(p.threshold >= 0)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `threshold must be >= 0, got ${p.threshold}`, { op: OP, fix: 'threshold: 3' });
    }
    if (p.reduce !== undefined && !['rms', 'mean', 'l2', 'max-abs'].includes(p.reduce)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `reduce must be rms, mean, l2 or max-abs, got '${String(p.reduce)}'`, { op: OP, fix: "reduce: 'rms'" });
    }
    if (p.nulls !== undefined && p.nulls !== 'drop' && p.nulls !== 'keep') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `nulls must be 'drop' or 'keep', got '${String(p.nulls)}'`, { op: OP, fix: "nulls: 'drop'" });
    }
  },
  stats,
  kernel(input, p, ctx) {
    const f32 = p.output === undefined && p.nulls !== 'keep' ? plainF32(input, p) : null;
    if (f32) {
      // The kept values form an interval of float32 values: two compares per row.
      const [c, s] = ctx.stats.groups[''] ?? [NaN, NaN];
      const iv = keptIntervalF32(c, s, p.threshold ?? 3);
      const n = f32.length;
      if (!iv) return { columns: {}, keep: new Uint8Array(n) };
      // One pass finds the kept rows' runs and gathers their values: core neither scans a mask nor
      // copies the column again, and no mask is made unless the runs are short (core's
      // KernelResult.keepScan). Batches over 64k rows get their mask (the kernel's copy is gone).
      const k = keepRunsF32Wasm(f32, iv[0], iv[1], { take: true, mask: n <= WASM_CHUNK ? 'if-no-runs' : 'always' });
      const keepScan = { kept: k.kept, runs: k.runs, ...(k.values ? { taken: { [p.column]: k.values } } : {}) };
      const r: KernelResult = k.mask ? { columns: {}, keep: k.mask, keepScan } : { columns: {}, keepScan };
      return r;
    }
    const v = rowValues(input, p.column, p.dtype ?? dt.float64(), p.reduce);
    const groups = groupCodes(input, p);
    // Centre and scale per group of the batch (undefined only for a group of NaN rows, never read).
    const cs = (groups ? groups.keys : ['']).map((k) => ctx.stats.groups[k]);
    const thr = p.threshold ?? 3;
    const keepNull = p.nulls === 'keep';
    const n = input.numRows;
    const keep = new Uint8Array(n);
    const z: (number | null)[] | null = p.output !== undefined ? new Array(n) : null;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (Number.isNaN(x)) { keep[i] = keepNull ? 1 : 0; if (z) z[i] = null; continue; }
      const [c, s] = cs[groups ? groups.codes[i]! : 0]!;
      // A zero (or undefined) scale: the centre itself has z = 0, anything else is infinitely far.
      keep[i] = zscoreKeeps(x, c, s, thr) ? 1 : 0;
      if (z) { const d = Math.abs(x - c); z[i] = s > 0 ? d / s : d === 0 ? 0 : Infinity; }
    }
    return { columns: p.output !== undefined ? { [p.output]: z! } : {}, keep };
  },
});

export const zscoreFilterOp = def;

/**
 * Drop rows more than `threshold` standard deviations from the mean (pandas: `(x - x.mean()).abs()
 * / x.std() <= threshold`, ddof 1), dataset-wide or per `by` group; `robust` uses the median and
 * 1.4826·MAD. Statistics are exact sums, so the result does not depend on batch size or row order.
 *
 * @example ds.map(zscoreFilter({ column: 'rms', threshold: 3, by: 'device' }))
 */
export function zscoreFilter<C extends string, D extends DType = Float64, O extends string = never, B extends string = never>(
  p: ZscoreFilterParams & { readonly column: C; readonly dtype?: D; readonly output?: O; readonly by?: B },
): OpCall<{ readonly [K in C]: D } & (string extends B ? unknown : { readonly [K in B]: DType }), { readonly [K in O]: Float64 }> {
  return def.call(p);
}
