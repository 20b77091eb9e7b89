// fusion.interpolate: values of a source stream at a target stream's timestamps — linear (numpy.interp
// semantics), previous sample, or nearest sample — for numeric and fixed-shape tensor columns.
import * as arrow from 'apache-arrow';
import type { AsSchema, Chunk, Dataset, DType, FixedShapeTensor, Float64, Schema, Simplify, TableOpCall } from '@modaflow/core';
import { defineTableOp, dt, dtypeToString, makeChunk, rowIdsOf, isValid, buildData, getValue, InvalidArgumentError, DTypeMismatchError, ColumnNotFoundError } from '@modaflow/core';
import { checkKeyDtypes, readKeys, orderBy, keyReaders, lastAtMost, mergeKeys, mergeLe, type KeyReader, type MergeKeys } from '../util/keys.ts';
import { WASM_MERGE_MAX_LEFT, interpI64Wasm } from '../util/wasm-merge.ts';
import { scratchI32 } from '../util/scratch.ts';
import { NUMERIC_KINDS, numericColumn } from '../util/columns.ts';

export type InterpolationMethod = 'linear' | 'previous' | 'nearest';

export interface InterpolateParams {
  /** Time key column of both streams: timestamps of one unit, or numbers the key reader compares (checkKeyDtypes). */
  readonly on: string;
  /** Source columns to interpolate (numeric scalars or fixed-shape tensors). */
  readonly columns: readonly string[];
  /** 'linear' (default), 'previous' (last sample at or before), 'nearest' (a tie takes the earlier). */
  readonly method?: InterpolationMethod;
  /** Target times outside the source's range: 'clamp' (numpy.interp: the end value; default) or 'null'. */
  readonly outside?: 'clamp' | 'null';
}

const OP = 'fusion.interpolate';

function outType(t: DType, method: InterpolationMethod): DType {
  if (method !== 'linear') return t;
  if (t.kind === 'tensor') return t;
  return { kind: 'float64' };
}

function validate(p: InterpolateParams, inputs: readonly Schema[]): void {
  const [l, r] = inputs as [Schema, Schema];
  if (p.method !== undefined && !['linear', 'previous', 'nearest'].includes(p.method)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `method must be linear, previous or nearest, got '${String(p.method)}'`, { op: OP, fix: "method: 'linear'" });
  }
  const lt = l[p.on], rt = r[p.on];
  if (!lt || !rt) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `key '${p.on}' must be in both streams`, { op: OP, column: p.on, fix: 'name the time column of both streams' });
  checkKeyDtypes([lt, rt], OP, p.on, ['target', 'source']);
  for (const c of p.columns) {
    const t = r[c];
    if (!t) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `source has no column '${c}'`, { op: OP, column: c, fix: `available: ${Object.keys(r).join(', ')}` });
    if (c === p.on) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'the key cannot be interpolated', { op: OP, column: c, fix: 'list value columns only' });
    if (c in l) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `column '${c}' exists in the target too`, { op: OP, column: c, fix: `rename it on one side first: source.rename({ ${c}: '${c}_src' })` });
    const linear = (p.method ?? 'linear') === 'linear';
    const ok = NUMERIC_KINDS.has(t.kind) || (t.kind === 'tensor' && (linear ? t.item.kind === 'float32' || t.item.kind === 'float64' : true));
    if (!ok && (linear || t.kind === 'varTensor')) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${c}' is ${dtypeToString(t)}; ${linear ? 'linear interpolation needs a number or a float tensor' : 'needs a fixed-size value'}`, {
        op: OP, column: c, fix: linear ? "cast it, or use method: 'previous' / 'nearest'" : 'pad or resize it to a fixed-shape tensor',
      });
    }
  }
}

function outputs(p: InterpolateParams, inputs: readonly Schema[]): Schema {
  const [l, r] = inputs as [Schema, Schema];
  const out: Record<string, DType> = { ...l };
  for (const c of p.columns) out[c] = outType(r[c]!, p.method ?? 'linear');
  return out;
}

/** Index of the last sample with key <= x in xs (sorted), or -1. */
function upper(xs: Float64Array | BigInt64Array, x: number | bigint): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * numpy.interp of values `fp` (a typed column without nulls, from `off`) over ascending source keys,
 * at every target key; null when a NaN sample is met on the way (the caller then takes the general
 * path, which skips NaN samples). Galloping searches from the previous target's segment.
 */
const ALL_VALID = new Uint8Array(0);

function linearSorted(tk: KeyReader, sk: KeyReader, fp: Float64Array, off: number, outsideNull: boolean): { values: Float64Array; valid: Uint8Array; nulls: boolean } | null {
  const n = tk.n, last = sk.n - 1;
  const out = new Float64Array(n);
  // A validity mask only when some rows can be null.
  const valid = outsideNull || last < 0 ? new Uint8Array(n).fill(1) : ALL_VALID;
  let nulls = false;
  if (last < 0) return { values: out, valid: valid.fill(0), nulls: n > 0 };
  const xl = sk.at(last);
  let j = -1;
  for (let i = 0; i < n; i++) {
    const x = tk.at(i);
    j = lastAtMost(sk, x, false, j);
    if (outsideNull && (j < 0 || (j === last && x > xl))) { valid[i] = 0; nulls = true; continue; }
    let y: number;
    if (j < 0) y = fp[off]!;
    else if (j === last) y = fp[off + last]!;
    else {
      // numpy.interp: slope over [xp[j], xp[j+1]], then slope·(x − xp[j]) + fp[j].
      const x0 = sk.at(j), x1 = sk.at(j + 1);
      const y0 = fp[off + j]!, y1 = fp[off + j + 1]!;
      if (Number.isNaN(y0) || Number.isNaN(y1)) return null;
      const slope = (y1 - y0) / (x1 - x0);
      y = slope * (x - x0) + y0;
      if (Number.isNaN(y)) { y = slope * (x - x1) + y1; if (Number.isNaN(y) && y0 === y1) y = y0; }
    }
    if (Number.isNaN(y)) return null; // an end sample is NaN: let the general path skip it
    out[i] = y;
  }
  return { values: out, valid, nulls };
}

/**
 * linearSorted for an ascending target (mergeKeys), from le[i] = the last source row with key ≤
 * target i (lastAtMostMerge): the same values and the same NaN policy (null: a NaN sample is met).
 */
export function linearFromLe(k: MergeKeys, le: Int32Array, fp: Float64Array, outsideNull: boolean): { values: Float64Array; valid: Uint8Array | null } | null {
  const n = k.left.n, last = k.right.n - 1;
  const out = new Float64Array(n);
  const tk = k.left, sk = k.right;
  const ti = tk.i64, si = sk.i64;
  const ok = ti && si
    ? linearI64(le, fp, new Int32Array(ti.hi.buffer, ti.hi.byteOffset, n * 2), new Int32Array(si.hi.buffer, si.hi.byteOffset, sk.n * 2), out)
    : linearAt(le, fp, tk, sk, out);
  if (!ok) return null;
  // The rows clamped to an end sample: null outside the source's range when asked.
  let valid: Uint8Array | null = null;
  if (outsideNull) {
    const xl = sk.at(last);
    for (let i = 0; i < n; i++) {
      const j = le[i]!;
      if (j < 0 || (j === last && tk.at(i) > xl)) { (valid ??= new Uint8Array(n).fill(1))[i] = 0; out[i] = 0; }
    }
  }
  return { values: out, valid };
}

/** NaN met: a NaN sample (the general path must skip it), or numpy's fallbacks for ±Infinity. */
function nanCase(y0: number, y1: number, slope: number, dx: number, d1: number): number {
  if (Number.isNaN(y0) || Number.isNaN(y1)) return NaN;
  let y = slope * (dx - d1) + y1; // slope·(x − xp[j+1]) + fp[j+1]
  if (Number.isNaN(y) && y0 === y1) y = y0;
  return y;
}

// The interpolation loop for int64 keys: one 32-bit view per side (few live arrays keep the loop
// lean, which matters: its loads of source keys and values miss the cache), and exact distances
// x − xp[j] and xp[j+1] − xp[j] from the halves (below 2^53: mergeKeys checked the span).
// numpy.interp: slope = (fp[j+1] − fp[j]) / (xp[j+1] − xp[j]); slope·(x − xp[j]) + fp[j].
function linearI64(le: Int32Array, fp: Float64Array, t: Int32Array, s: Int32Array, out: Float64Array): boolean {
  const n = out.length, last = (s.length >> 1) - 1;
  for (let i = 0; i < n; i++) {
    const j = le[i]!;
    if (j < 0 || j === last) {
      const y = fp[j < 0 ? 0 : last]!;
      if (Number.isNaN(y)) return false; // an end sample is NaN: let the general path skip it
      out[i] = y;
      continue;
    }
    const a = 2 * i, b = 2 * j;
    const h0 = s[b + 1]!, l0 = s[b]! >>> 0;
    const dx = (t[a + 1]! - h0) * 4294967296 + ((t[a]! >>> 0) - l0);
    const d1 = (s[b + 3]! - h0) * 4294967296 + ((s[b + 2]! >>> 0) - l0);
    const y0 = fp[j]!, y1 = fp[j + 1]!;
    const slope = (y1 - y0) / d1;
    let y = slope * dx + y0;
    if (y !== y) { y = nanCase(y0, y1, slope, dx, d1); if (y !== y) return false; }
    out[i] = y;
  }
  return true;
}

/** linearI64 for float64 keys, read through the readers. */
function linearAt(le: Int32Array, fp: Float64Array, tk: KeyReader, sk: KeyReader, out: Float64Array): boolean {
  const n = out.length, last = sk.n - 1;
  for (let i = 0; i < n; i++) {
    const j = le[i]!;
    if (j < 0 || j === last) {
      const y = fp[j < 0 ? 0 : last]!;
      if (Number.isNaN(y)) return false;
      out[i] = y;
      continue;
    }
    const x = tk.at(i), x0 = sk.at(j), x1 = sk.at(j + 1);
    const y0 = fp[j]!, y1 = fp[j + 1]!;
    const slope = (y1 - y0) / (x1 - x0);
    let y = slope * (x - x0) + y0;
    if (y !== y) { y = nanCase(y0, y1, slope, x - x0, x1 - x0); if (y !== y) return false; }
    out[i] = y;
  }
  return true;
}

/** Validity of an ascending target's rows (mergeKeys): 0 outside the source's key range, or null when none is. */
function outsideRows(k: MergeKeys): Uint8Array | null {
  const tk = k.left, sk = k.right, n = tk.n;
  const lo = sk.at(0), hi = sk.at(sk.n - 1);
  let a = 0, b = n;
  while (a < n && tk.at(a) < lo) a++;
  while (b > a && tk.at(b - 1) > hi) b--;
  if (a === 0 && b === n) return null;
  const valid = new Uint8Array(n);
  valid.fill(1, a, b);
  return valid;
}

/** A float64 column over `values`, null where valid[i] is 0 (no copy of the values). */
function float64Data(values: Float64Array, valid: Uint8Array | null): arrow.Data {
  if (!valid) return buildData(dt.float64(), values);
  const n = values.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else { nulls++; values[i] = 0; }
  }
  return arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, data: values });
}

/** The samples of one series, in time order: source rows, their keys, and per target `segments`. */
interface Samples { readonly rows: readonly number[]; readonly xs: Float64Array | BigInt64Array; readonly js: Int32Array }

/** Per target key, the index of the last sample at or before it (−1: none). */
function segments(xs: Float64Array | BigInt64Array, tk: Float64Array | BigInt64Array): Int32Array {
  const js = new Int32Array(tk.length);
  for (let i = 0; i < tk.length; i++) js[i] = upper(xs, tk[i]!);
  return js;
}

/** previous / nearest: per target, the index of the chosen sample, or −1 for no value. */
function pick(s: Samples, tk: Float64Array | BigInt64Array, method: 'previous' | 'nearest', outsideNull: boolean): Int32Array {
  const { xs, js } = s;
  const idx = new Int32Array(tk.length).fill(-1);
  if (xs.length === 0) return idx;
  const last = xs.length - 1;
  for (let i = 0; i < tk.length; i++) {
    const x = tk[i]!;
    let j = js[i]!;
    if (method === 'nearest') {
      if (j < 0) j = 0;
      else if (j < last && (xs[j + 1]! as number) - (x as number) < (x as number) - (xs[j]! as number)) j = j + 1;
    }
    if (j < 0) continue;
    if (outsideNull && (x < xs[0]! || x > xs[last]!)) continue;
    idx[i] = j;
  }
  return idx;
}

/**
 * numpy.interp of the series `at(row)` over its samples at every target key, written to
 * out[i·stride + e]; has[i] = 1 where the target gets a value (not outside with outside: 'null').
 */
function linearInto(s: Samples, tk: Float64Array | BigInt64Array, at: (row: number) => number, outsideNull: boolean, out: Float64Array, stride: number, e: number, has: Uint8Array): void {
  const { rows, xs, js } = s;
  const last = rows.length - 1;
  if (last < 0) return;
  for (let i = 0; i < tk.length; i++) {
    const x = tk[i]!;
    const j = js[i]!;
    if (outsideNull && (j < 0 || (j === last && x > xs[last]!))) continue;
    has[i] = 1;
    if (j < 0) out[i * stride + e] = at(rows[0]!);
    else if (j === last) out[i * stride + e] = at(rows[last]!);
    else {
      // numpy.interp: slope over [xp[j], xp[j+1]], then slope·(x − xp[j]) + fp[j].
      const x0 = Number(xs[j]!), x1 = Number(xs[j + 1]!);
      const y0 = at(rows[j]!), y1 = at(rows[j + 1]!);
      const slope = (y1 - y0) / (x1 - x0);
      let y = slope * (Number(x) - x0) + y0;
      if (Number.isNaN(y)) { y = slope * (Number(x) - x1) + y1; if (Number.isNaN(y) && y0 === y1) y = y0; }
      out[i * stride + e] = y;
    }
  }
}

function run(inputs: readonly Chunk[], p: InterpolateParams): Chunk {
  const [l, r] = inputs as [Chunk, Chunk];
  const method = p.method ?? 'linear';
  const cols: Record<string, arrow.Data> = { ...l.columns };
  const n = l.length;
  // Sorted source keys read in place (no copies of the long side), for scalar linear columns.
  // An ascending target: one pass over the source keys checks their order and finds every
  // target's segment, for all scalar linear columns (mergeKeys / lastAtMostMerge).
  const mk = method === 'linear' ? mergeKeys(l.columns[p.on]!, r.columns[p.on]!, l.schema[p.on]!, r.schema[p.on]!) : null;
  let le: Int32Array | null | undefined;
  // Otherwise (an unsorted target, non-positive int64 keys, an empty side) a check of the source
  // and a galloping search per target.
  const kr = method === 'linear' && !mk ? keyReaders([l.columns[p.on]!, r.columns[p.on]!], [l.schema[p.on]!, r.schema[p.on]!]) : null;
  let general: { tk: Float64Array | BigInt64Array; sk: Float64Array | BigInt64Array; big: boolean; order: Uint32Array } | null = null;
  for (const c of p.columns) {
    const t = r.schema[c]!;
    const d = r.columns[c]!;
    const scalar = t.kind !== 'tensor' && d.nullCount === 0 && !(d.values instanceof BigInt64Array) && !(d.values instanceof BigUint64Array);
    if (mk && scalar && le !== null) {
      if (mk.l64 && mk.r64 && d.values instanceof Float64Array && n <= WASM_MERGE_MAX_LEFT) {
        // int64 keys and float64 values: search and interpolation in one WebAssembly pass.
        const out = new Float64Array(n);
        const ok = interpI64Wasm(mk.l64, mk.r64, d.values, out);
        if (ok === 1) { cols[c] = float64Data(out, p.outside === 'null' ? outsideRows(mk) : null); continue; }
        if (ok === 0) le = null; // the source is not ascending: the general path for every column
      } else {
        if (le === undefined) {
          le = scratchI32(0, n);
          if (!mergeLe(mk, le)) le = null;
        }
        const y = le && linearFromLe(mk, le, d.values as Float64Array, p.outside === 'null');
        if (y) { cols[c] = float64Data(y.values, y.valid); continue; }
      }
    }
    if (kr && kr.sorted[1] && scalar) {
      const y = linearSorted(kr.readers[0]!, kr.readers[1]!, d.values as Float64Array, 0, p.outside === 'null');
      if (y) { cols[c] = float64Data(y.values, y.nulls ? y.valid : null); continue; }
    }
    if (!general) {
      const keys = readKeys([l.columns[p.on]!, r.columns[p.on]!], [l.schema[p.on]!, r.schema[p.on]!], OP, p.on, ['target', 'source']);
      general = { tk: keys.arrays[0]!, sk: keys.arrays[1]!, big: keys.big, order: orderBy(keys.arrays[1]!, null, 1).order };
    }
    const { tk, sk, order, big } = general;
    // The samples of one series: the source rows that have a value, in time order, and their keys.
    const samplesWhere = (has: (row: number) => boolean): Samples => {
      const rows: number[] = [];
      for (const i of order) if (has(i)) rows.push(i);
      const xs = (big ? new BigInt64Array(rows.length) : new Float64Array(rows.length)) as Float64Array;
      rows.forEach((i, k) => { xs[k] = sk[i]! as number; });
      return { rows, xs, js: segments(xs, tk) };
    };
    const ot = outType(t, method);
    const outsideNull = p.outside === 'null';
    if (t.kind !== 'tensor' || (t.item.kind !== 'float32' && t.item.kind !== 'float64')) {
      // Scalars skip null and NaN samples; integer tensors (previous/nearest only) skip null rows.
      const valid = t.kind === 'tensor' ? null : numericColumn(t, d).valid;
      const smp = samplesWhere((i) => (valid ? valid[i] === 1 : isValid(d, i)));
      if (method !== 'linear') {
        const idx = pick(smp, tk, method, outsideNull);
        cols[c] = buildData(ot, Array.from(idx, (k) => (k < 0 ? null : getValue(t, d, smp.rows[k]!))));
        continue;
      }
      const sv = d.values as Float64Array;
      const out = new Float64Array(n);
      const has = new Uint8Array(n);
      linearInto(smp, tk, (row) => Number(sv[row]!), outsideNull, out, 1, 0, has);
      cols[c] = float64Data(out, has);
      continue;
    }
    // Float tensors, element by element: each element is a series of its own, sampled where that
    // element is not NaN (the scalar rule). An element without a value (no sample of it on that
    // side, or outside its samples with outside: 'null') is NaN; a row where no element has a
    // value is null. Elements without a NaN share the samples of the non-null rows.
    // Row i's elements are sv[i·size …]: an Arrow slice of a fixed-size list slices its child with
    // it (data.offset is the bitmap's only; core's getValue reads tensors the same way). The view
    // ends at the last row, so the NaN scan never reads past this chunk's rows.
    const size = t.shape.reduce((a, b) => a * b, 1);
    const sv = (d.children[0]!.values as Float32Array | Float64Array).subarray(0, d.length * size);
    const nanAt = new Uint8Array(size);
    for (let j = 0; j < sv.length; j++) if (Number.isNaN(sv[j]!)) nanAt[j % size] = 1;
    const shared = samplesWhere((i) => isValid(d, i));
    const out = new Float64Array(n * size).fill(NaN);
    const any = new Uint8Array(n), has = new Uint8Array(n);
    for (let e = 0; e < size; e++) {
      const smp = nanAt[e] ? samplesWhere((i) => isValid(d, i) && !Number.isNaN(sv[i * size + e]!)) : shared;
      const at = (row: number) => sv[row * size + e]!;
      has.fill(0);
      if (method === 'linear') linearInto(smp, tk, at, outsideNull, out, size, e, has);
      else {
        const idx = pick(smp, tk, method, outsideNull);
        for (let i = 0; i < n; i++) if (idx[i]! >= 0) { out[i * size + e] = at(smp.rows[idx[i]!]!); has[i] = 1; }
      }
      for (let i = 0; i < n; i++) any[i]! |= has[i]!;
    }
    cols[c] = buildData(ot, Array.from(any, (a, i) => (a ? { data: out.subarray(i * size, (i + 1) * size), shape: [...t.shape] } : null)));
  }
  return makeChunk(outputs(p, [l.schema, r.schema]), cols, rowIdsOf(l));
}

export const interpolateOp = defineTableOp<InterpolateParams>({
  name: OP,
  module: import.meta.url,
  description: 'values of a source stream at the target stream times (linear / previous / nearest)',
  arity: 2,
  validate,
  outputs,
  run: (inputs, p) => run(inputs, p),
});

type InterpOut<D, M> = M extends 'linear' ? (D extends FixedShapeTensor ? D : Float64) : D;

/**
 * Sample `source` at `target`'s timestamps: `linear` follows numpy.interp (clamped to the end
 * values outside the source range unless `outside: 'null'`; the time axis is the offset from the
 * earliest timestamp, exact up to 2^53 units), `previous` the last sample at or before, `nearest`
 * the closest (a tie takes the earlier). Null/NaN source values are skipped per column; float
 * tensors go element by element, each element skipping the samples where it is NaN (as if it were
 * a scalar column). An element left without a value is NaN; a row where every element is, null.
 *
 * @example interpolate(cam, imu, { on: 't', columns: ['ax', 'ay', 'az'] })
 */
export function interpolate<
  T extends Schema, S extends Schema, On extends keyof T & keyof S & string,
  const C extends readonly (keyof S & string)[], M extends InterpolationMethod = 'linear',
>(
  target: Dataset<T>, source: Dataset<S>,
  p: InterpolateParams & { readonly on: On; readonly columns: C; readonly method?: M },
): Dataset<AsSchema<Simplify<T & { readonly [K in C[number]]: InterpOut<S[K], M> }>>> {
  const call = interpolateOp.call(p) as TableOpCall<AsSchema<Simplify<T & { readonly [K in C[number]]: InterpOut<S[K], M> }>>>;
  return target.apply(call, source as unknown as Dataset<Schema>);
}
