// Row i of a fixed-width Arrow Data is values[i]: Arrow's slice() slices the value buffers and
// keeps `offset` for the validity bitmap only (bit offset + i), as core's getValue reads them.
// Time keys as arrays the hot loops can compare quickly. Integer keys (timestamps, int64) become
// float64 offsets from a shared base when every offset is below 2^53 — exact, and ~10× faster to
// compare than bigints; otherwise they stay bigint so nothing is ever rounded.
import type * as arrow from 'apache-arrow';
import type { DType } from '@modaflow/core';
import { DTypeMismatchError, OpError, dtypeToString } from '@modaflow/core';
import { WASM_MERGE_MAX_LEFT, lastAtMostI64Wasm } from './wasm-merge.ts';
import { isTimeKeyType, NS_PER, unitOf } from './time-units.ts';

/** Keys of one or more inputs on a common scale: all float64, or all bigint. */
export interface Keys {
  readonly arrays: (Float64Array | BigInt64Array)[];
  readonly big: boolean;
  /** The value subtracted from integer keys (0n for float keys). */
  readonly base: bigint;
}


function isBigKind(t: DType): boolean {
  return t.kind === 'timestamp' || t.kind === 'int64' || t.kind === 'uint64';
}

/**
 * The plan-time check of the key dtypes of an op's inputs (`sides` names them), for the pairs
 * readKeys can put on one scale: timestamps of one unit; or 64-bit integers (int64, uint64: read
 * from their 32-bit halves, or as bigints); or narrower numbers (int8 … uint32, float32, float64:
 * each exact as a float64), mixed freely within each group. Any other pair would only fail when
 * the op runs — or, for a utf8 key beside a number, not fail at all — so it is refused here with
 * the conversion to apply.
 */
export function checkKeyDtypes(types: readonly DType[], op: string, column: string, sides: readonly string[]): void {
  types.forEach((t, s) => {
    if (!isTimeKeyType(t)) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `key '${column}' is ${dtypeToString(t)} on the ${sides[s]}; it must be a timestamp or a number`, {
        op, column, fix: `parse or cast the ${sides[s]} key to a timestamp or a number first`,
      });
    }
  });
  const a = types[0]!;
  types.forEach((b, s) => {
    if (s === 0) return;
    const what = `key '${column}' is ${dtypeToString(a)} on the ${sides[0]} and ${dtypeToString(b)} on the ${sides[s]}`;
    if (a.kind === 'timestamp' && b.kind === 'timestamp') {
      if (a.unit === b.unit) return;
      // Toward the finer unit, which is exact.
      const [coarse, fine, side] = NS_PER[a.unit] > NS_PER[b.unit] ? [a, b, sides[0]] : [b, a, sides[s]];
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', what, {
        op, column, fix: `convert the ${side} key explicitly so both keys have the same unit: convertTimeUnit({ column: '${column}', from: '${coarse.unit}', to: '${fine.unit}' })`,
      });
    }
    if (a.kind === 'timestamp' || b.kind === 'timestamp') {
      const [unit, other, side] = a.kind === 'timestamp' ? [a.unit, b, sides[s]] : [unitOf(b)!, a, sides[0]];
      const cast = other.kind === 'int64' ? '' : `cast it to int64 counts (withColumn('${column}', col('${column}').cast(dt.int64()))), then `;
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `${what}: a timestamp is compared only with a timestamp of the same unit`, {
        op, column, fix: `read the ${side} key as a timestamp explicitly: ${cast}convertTimeUnit({ column: '${column}', input: 'int64', from: '<unit of its counts>', to: '${unit}' })`,
      });
    }
    if (isBigKind(a) !== isBigKind(b)) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `${what}: 64-bit integer keys (int64, uint64) and other numbers are not compared with each other`, {
        op, column, fix: `cast one key to the other's dtype first, e.g. on the ${sides[s]}: withColumn('${column}', col('${column}').cast(dt.${a.kind}()))`,
      });
    }
  });
}

function checkNulls(d: arrow.Data, op: string, column: string, side: string): void {
  if (d.nullCount === 0) return;
  for (let i = 0; i < d.length; i++) {
    const j = d.offset + i;
    if (!((d.nullBitmap![j >> 3]! >> (j & 7)) & 1)) {
      throw new OpError('MF_OP_FAILED', `${side} key column has a null at row ${i}`, {
        op, column, row: i, fix: `drop rows with a null key first: .filter(col('${column}').isNotNull())`,
      });
    }
  }
}

/**
 * Read key columns of several inputs onto one comparable scale. Null keys are refused (like
 * pandas.merge_asof); NaN float keys too.
 */
export function readKeys(datas: readonly arrow.Data[], types: readonly DType[], op: string, column: string, sides: readonly string[]): Keys {
  datas.forEach((d, s) => checkNulls(d, op, column, sides[s]!));
  const big = types.some(isBigKind);
  if (!big) {
    const arrays = datas.map((d, s) => {
      const out = new Float64Array(d.length);
      const v = d.values as Float64Array;
      for (let i = 0; i < d.length; i++) {
        const x = v[i]!;
        if (Number.isNaN(x)) {
          throw new OpError('MF_OP_FAILED', `${sides[s]} key column has NaN at row ${i}`, { op, column, row: i, fix: 'drop rows with a NaN key first' });
        }
        out[i] = x;
      }
      return out;
    });
    return { arrays, big: false, base: 0n };
  }
  if (!types.every(isBigKind)) {
    throw new OpError('MF_DTYPE_MISMATCH', `key column types differ: ${types.map(dtypeToString).join(' vs ')}`, {
      op, column, fix: "cast both keys to the same dtype (withColumn(k, col(k).cast(dt.timestamp('ns'))))",
    });
  }
  // Offsets from the first key, computed from the 32-bit halves of each int64 (no bigint
  // arithmetic): exact while the high halves differ by less than 2^20, i.e. offsets below 2^52.
  const first = datas.find((d) => d.length > 0);
  const base = first ? (first.values as BigInt64Array)[0]! : 0n;
  const bhi = Number(base >> 32n), blo = Number(BigInt.asUintN(32, base));
  let fits = true;
  const arrays = datas.map((d) => {
    const v = d.values as BigInt64Array;
    const lo32 = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    const hi32 = v instanceof BigUint64Array ? lo32 : new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const out = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const k = i * 2;
      const dh = hi32[k + 1]! - bhi;
      if (dh >= 1048576 || dh <= -1048576) { fits = false; break; }
      out[i] = dh * 4294967296 + (lo32[k]! - blo);
    }
    return out;
  });
  if (fits) return { arrays, big: false, base };
  // As bigints. uint64 keys of 2^63 and more would wrap negative in an int64 array: when every
  // key is uint64 they are all shifted down by 2^63 (order and differences kept); beside int64
  // keys there is no common int64 scale, so that is refused.
  const unsigned = datas.map((d) => d.values instanceof BigUint64Array);
  const high = datas.some((d, s) => unsigned[s] && (d.values as BigUint64Array).subarray(0, d.length).some((x) => x >= 2n ** 63n));
  if (high && !unsigned.every(Boolean)) {
    throw new OpError('MF_DTYPE_MISMATCH', `uint64 key '${column}' holds values of 2^63 or more beside int64 keys, which no int64 scale holds both of`, {
      op, column, fix: "cast the keys to one dtype whose range holds both (e.g. both uint64, or timestamps of one unit)",
    });
  }
  const bigArrays = datas.map((d) => {
    const v = d.values as BigInt64Array | BigUint64Array;
    if (!high) return BigInt64Array.from(v.subarray(0, d.length) as BigInt64Array);
    return BigInt64Array.from(v.subarray(0, d.length) as BigUint64Array, (x) => x - 2n ** 63n);
  });
  return { arrays: bigArrays, big: true, base };
}

/** A tolerance on the keys' scale (Infinity / no limit when undefined). */
export function toleranceOn(keys: Keys, tol: bigint | number | undefined): number | bigint {
  if (tol === undefined) return keys.big ? -1n : Infinity;
  if (keys.big) return BigInt(tol);
  return Number(tol);
}

/** Whether keys are sorted ascending. */
export function isSorted(k: Float64Array | BigInt64Array): boolean {
  for (let i = 1; i < k.length; i++) if (k[i]! < k[i - 1]!) return false;
  return true;
}

/** Row indices ordered by (group, key, index), and where each group starts in that order. */
export function orderBy(keys: Float64Array | BigInt64Array, groups: Int32Array | null, nGroups: number): { order: Uint32Array; offsets: Uint32Array } {
  const n = keys.length;
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (!isSorted(keys)) {
    // A stable sort: among equal keys, input order decides (pandas' 'last row wins' needs it).
    const arr = Array.from(idx);
    arr.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    idx = Uint32Array.from(arr);
  }
  if (!groups || nGroups <= 1) return { order: idx, offsets: Uint32Array.of(0, n) };
  const offsets = new Uint32Array(nGroups + 1);
  for (let i = 0; i < n; i++) offsets[groups[i]! + 1]!++;
  for (let g = 0; g < nGroups; g++) offsets[g + 1]! += offsets[g]!;
  const fill = offsets.slice(0, nGroups);
  const out = new Uint32Array(n);
  for (let k = 0; k < n; k++) { const i = idx[k]!; out[fill[groups[i]!]!++] = i; }
  return { order: out, offsets };
}

/**
 * Keys read in place, on the float64-offset scale of readKeys, without materializing them: int64 /
 * timestamp keys from their 32-bit halves, float64 keys as they are. For the sorted fast paths of
 * the as-of join and interpolation, which only look at O(m·log(n/m)) of a long side's keys.
 */
export class KeyReader {
  constructor(
    readonly n: number,
    private readonly f64: Float64Array | null,
    private readonly lo: Uint32Array | null,
    private readonly hi: Int32Array | null,
    private readonly off: number,
    private readonly bhi: number,
    private readonly blo: number,
  ) {}
  /** The int64 halves, for whole-column loops. */
  get i64(): { hi: Int32Array; lo: Uint32Array; off: number; bhi: number; blo: number } | null {
    return this.hi ? { hi: this.hi, lo: this.lo!, off: this.off, bhi: this.bhi, blo: this.blo } : null;
  }
  at(i: number): number {
    if (this.f64) return this.f64[this.off + i]!;
    const k = (this.off + i) * 2;
    return (this.hi![k + 1]! - this.bhi) * 4294967296 + (this.lo![k]! - this.blo);
  }
}

/**
 * Readers over key columns of several inputs on one scale, and whether each is ascending — or
 * null when the general path (readKeys) must decide: nulls, NaN, offsets of 2^52 or more, other
 * key kinds (uint64, narrow ints, float32) or mixed kinds. One read-only pass over each column.
 */
export function keyReaders(datas: readonly arrow.Data[], types: readonly DType[]): { readers: KeyReader[]; sorted: boolean[] } | null {
  if (datas.some((d) => d.nullCount !== 0)) return null;
  const allF64 = types.every((t) => t.kind === 'float64');
  const allI64 = types.every((t) => t.kind === 'timestamp' || t.kind === 'int64');
  if (!allF64 && !allI64) return null;
  let bhi = 0, blo = 0;
  if (allI64) {
    const first = datas.find((d) => d.length > 0);
    if (first) {
      const v = first.values as BigInt64Array;
      bhi = new Int32Array(v.buffer, v.byteOffset, 2)[1]!;
      blo = new Uint32Array(v.buffer, v.byteOffset, 2)[0]!;
    }
  }
  const readers: KeyReader[] = [];
  const sorted: boolean[] = [];
  for (const d of datas) {
    let r: KeyReader;
    if (allF64) r = new KeyReader(d.length, d.values as Float64Array, null, null, 0, 0, 0);
    else {
      const v = d.values as BigInt64Array;
      const hi = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      r = new KeyReader(d.length, null, new Uint32Array(v.buffer, v.byteOffset, v.length * 2), hi, 0, bhi, blo);
    }
    // Int64 offsets below 2^52 − 2^32 are computed exactly from the halves (and the high halves
    // then differ by less than 2^20, as readKeys requires).
    const s = ascending(r, allF64 ? Infinity : 4503595332403200);
    if (s === null) return null; // NaN, or offsets too large
    readers.push(r);
    sorted.push(s);
  }
  return { readers, sorted };
}

/** Whether the keys are ascending; null when one is NaN or |key| ≥ limit. */
function ascending(r: KeyReader, limit: number): boolean | null {
  if (r.i64) return ascendingI64(r.i64.hi, r.i64.lo, r.i64.off, r.n, r.i64.bhi, r.i64.blo, limit);
  let prev = -Infinity, sorted = true;
  for (let i = 0; i < r.n; i++) {
    const x = r.at(i);
    if (!(x >= prev)) {
      if (Number.isNaN(x)) return null;
      sorted = false;
    }
    if (!(Math.abs(x) < limit)) return null;
    prev = x;
  }
  return sorted;
}

function ascendingI64(hi: Int32Array, lo: Uint32Array, off: number, n: number, bhi: number, blo: number, limit: number): boolean | null {
  // Ascending as (signed high, unsigned low) pairs, compared as integers; then only the ends of a
  // sorted column need the range check. An unsorted column is range-checked row by row.
  let sorted = true;
  const end = (off + n) * 2;
  for (let k = off * 2 + 2; k < end; k += 2) {
    const h = hi[k + 1]!, ph = hi[k - 1]!;
    if (h < ph || (h === ph && lo[k]! < lo[k - 2]!)) { sorted = false; break; }
  }
  const at = (k: number) => (hi[k + 1]! - bhi) * 4294967296 + (lo[k]! - blo);
  const fits = (x: number) => x < limit && x > -limit;
  if (sorted) return n === 0 || (fits(at(off * 2)) && fits(at(end - 2))) ? true : null;
  for (let k = off * 2; k < end; k += 2) if (!fits(at(k))) return null;
  return false;
}

/**
 * The last index j in [-1, n) with key(j) ≤ x (strict: key(j) < x), for ascending keys, searched
 * from a hint h (the answer for a smaller x, or -1): galloping, so a walk over m increasing x costs
 * O(m·log(n/m)) key reads.
 */
export function lastAtMost(r: KeyReader, x: number, strict: boolean, h: number): number {
  return strict ? lastBelow(r, x, h) : lastAtMostLe(r, x, h);
}

// Two copies (≤ and <) so the hot loops hold no closure.
function lastAtMostLe(r: KeyReader, x: number, h: number): number {
  const n = r.n;
  let lo = h; // key(lo) <= x, or lo = -1
  if (lo >= 0 && !(r.at(lo) <= x)) lo = -1;
  let step = 1, hi = lo + 1;
  while (hi < n && r.at(hi) <= x) { lo = hi; hi = lo + step; step *= 2; }
  if (hi > n) hi = n;
  while (hi - lo > 1) { const m = lo + ((hi - lo) >> 1); if (r.at(m) <= x) lo = m; else hi = m; }
  return lo;
}

function lastBelow(r: KeyReader, x: number, h: number): number {
  const n = r.n;
  let lo = h;
  if (lo >= 0 && !(r.at(lo) < x)) lo = -1;
  let step = 1, hi = lo + 1;
  while (hi < n && r.at(hi) < x) { lo = hi; hi = lo + step; step *= 2; }
  if (hi > n) hi = n;
  while (hi - lo > 1) { const m = lo + ((hi - lo) >> 1); if (r.at(m) < x) lo = m; else hi = m; }
  return lo;
}

/**
 * Keys of a left (target) and a right (source) column for the merge paths: readers on the
 * float64-offset scale (exact distances, for tolerances and interpolation), the int64 values (for
 * the WebAssembly kernels, which compare int64 exactly), and "ordinal" float64 views over the same
 * memory for the JS kernel. float64 keys are their own ordinals; for int64/timestamp keys the view
 * reinterprets each int64's bits as a double, which orders exactly like the integers on
 * [1, 2^63 − 2^52] (positive doubles order as their bit patterns; larger values are NaN patterns,
 * which fail every comparison, and non-positive ones would be negative doubles, −0 or NaN). With
 * first keys ≥ 1 on both sides and an ascending left side, every compare of a left and a right
 * ordinal is exact once the right side passes the merge's ascending check (a sorted run of
 * positive doubles ends at +Inf at most); int64 keys without that take only the WebAssembly path.
 * Null when no merge path applies (the keyReaders path then decides): empty sides, nulls, NaN, an
 * unsorted left side, offsets of 2^52 − 2^32 or more (checked at the ends of both sides: the
 * right side's ends here, its order by the merge), non-positive int64 keys with a left side too
 * long for the WebAssembly kernels, or key kinds other than float64 / int64 / timestamp.
 */
export interface MergeKeys {
  readonly left: KeyReader;
  readonly right: KeyReader;
  readonly lo: { readonly v: Float64Array; readonly off: number };
  readonly ro: { readonly v: Float64Array; readonly off: number };
  /** int64 / timestamp keys: the columns' values (for the WebAssembly kernels); null for float64. */
  readonly l64: BigInt64Array | null;
  readonly r64: BigInt64Array | null;
  /** Whether the ordinals order like the keys (float64 keys, or int64 keys with first keys ≥ 1). */
  readonly ordinalsOk: boolean;
}

function ordinals(d: arrow.Data, f64: boolean): { v: Float64Array; off: number } {
  if (f64) return { v: d.values as Float64Array, off: 0 };
  const b = d.values as BigInt64Array;
  return { v: new Float64Array(b.buffer, b.byteOffset, b.length), off: 0 };
}

export function mergeKeys(left: arrow.Data, right: arrow.Data, lt: DType, rt: DType): MergeKeys | null {
  if (left.length === 0 || right.length === 0 || left.nullCount !== 0 || right.nullCount !== 0) return null;
  const f64 = lt.kind === 'float64' && rt.kind === 'float64';
  const i64 = (lt.kind === 'timestamp' || lt.kind === 'int64') && (rt.kind === 'timestamp' || rt.kind === 'int64');
  if (!f64 && !i64) return null;
  const lo = ordinals(left, f64), ro = ordinals(right, f64);
  // Int64 keys as ordinals need first keys ≥ 1 (positive doubles, not NaN); without them only the
  // WebAssembly kernels (exact int64 compares) apply.
  let ordinalsOk = f64 || (lo.v[0]! > 0 && ro.v[0]! > 0);
  const [l, r] = keyReaders0([left, right], f64);
  const limit = f64 ? Infinity : 4503595332403200;
  const fits = (k: KeyReader, i: number) => { const x = k.at(i); return x < limit && x > -limit; };
  if (ordinalsOk && !ascendingOrdinals(lo.v, lo.off, left.length)) {
    if (f64) return null;
    ordinalsOk = false; // unsorted, or int64 keys among the NaN patterns: decided exactly below
  }
  if (!ordinalsOk) {
    const w = l.i64!;
    if (left.length > WASM_MERGE_MAX_LEFT || ascendingI64(w.hi, w.lo, w.off, l.n, w.bhi, w.blo, limit) !== true) return null;
  }
  if (!fits(l, 0) || !fits(l, l.n - 1) || !fits(r, 0) || !fits(r, r.n - 1)) return null;
  const i64s = (d: arrow.Data) => (f64 ? null : (d.values as BigInt64Array).subarray(0, d.length));
  return { left: l, right: r, lo, ro, l64: i64s(left), r64: i64s(right), ordinalsOk };
}

/**
 * lastAtMostMerge over mergeKeys' sides into out (left length): in WebAssembly for int64 keys
 * (the same answers), else in JS. False when the right side does not ascend.
 */
export function mergeLe(k: MergeKeys, out: Int32Array): boolean {
  if (k.l64 && k.r64 && k.l64.length <= WASM_MERGE_MAX_LEFT) return lastAtMostI64Wasm(k.l64, k.r64, out);
  return lastAtMostMerge(k.lo.v, k.lo.off, k.left.n, k.ro.v, k.ro.off, k.right.n, out);
}

/** Readers on one scale (the base is the first key of the first input), no checks. */
function keyReaders0(datas: readonly arrow.Data[], f64: boolean): KeyReader[] {
  let bhi = 0, blo = 0;
  if (!f64) {
    const first = datas.find((d) => d.length > 0);
    if (first) {
      const v = first.values as BigInt64Array;
      bhi = new Int32Array(v.buffer, v.byteOffset, 2)[1]!;
      blo = new Uint32Array(v.buffer, v.byteOffset, 2)[0]!;
    }
  }
  return datas.map((d) => {
    if (f64) return new KeyReader(d.length, d.values as Float64Array, null, null, 0, 0, 0);
    const v = d.values as BigInt64Array;
    return new KeyReader(d.length, null, new Uint32Array(v.buffer, v.byteOffset, v.length * 2), new Int32Array(v.buffer, v.byteOffset, v.length * 2), 0, bhi, blo);
  });
}

/** Whether v[off..off+n) is ascending as doubles (false on NaN). */
export function ascendingOrdinals(v: Float64Array, off: number, n: number): boolean {
  return ascendingRun(v, off, off + n, n > 0 ? v[off]! : 0) !== null;
}

/**
 * Whether v[a..b) ascends from `prev` (false on NaN): its last value, or null. Four values per
 * branch (the four compares are combined as bits), ~1.5× faster than one branch per value.
 */
function ascendingRun(v: Float64Array, a: number, b: number, prev: number): number | null {
  let k = a;
  for (; k + 4 <= b; k += 4) {
    const x0 = v[k]!, x1 = v[k + 1]!, x2 = v[k + 2]!, x3 = v[k + 3]!;
    if (!((+(x0 >= prev) & +(x1 >= x0) & +(x2 >= x1) & +(x3 >= x2)))) return null;
    prev = x3;
  }
  for (; k < b; k++) { const s = v[k]!; if (!(s >= prev)) return null; prev = s; }
  return prev;
}

// Right keys are checked in blocks of 2048 (16 KiB); each block's left rows are then found while
// the block is in cache (strides of 16 keys, then one by one), so a key is read from memory once.
// The sizes are literals in the loop: module constants are not folded into it.

/**
 * For ascending left ordinals l[lo..lo+m) and right ordinals r[ro..ro+n): out[i] = the last right
 * index j with r(j) ≤ l(i), or -1 — and whether the right side is ascending (false: it is not,
 * or holds NaN; out is then meaningless). One pass over the right side, O(n + m).
 */
export function lastAtMostMerge(l: Float64Array, lo: number, m: number, r: Float64Array, ro: number, n: number, out: Int32Array): boolean {
  const end = ro + n;
  let i = 0, j = ro - 1, prev = n > 0 ? r[ro]! : 0;
  for (let b0 = ro; b0 < end; b0 += 2048) {
    const b1 = b0 + 2048 < end ? b0 + 2048 : end;
    // ascendingRun, inlined (as a call it costs ~30% here).
    let k = b0;
    for (; k + 4 <= b1; k += 4) {
      const x0 = r[k]!, x1 = r[k + 1]!, x2 = r[k + 2]!, x3 = r[k + 3]!;
      if (!((+(x0 >= prev) & +(x1 >= x0) & +(x2 >= x1) & +(x3 >= x2)))) return false;
      prev = x3;
    }
    for (; k < b1; k++) { const s = r[k]!; if (!(s >= prev)) return false; prev = s; }
    if (i >= m) continue;
    // Left rows below this block's last key have their answer at or before it (a later key is
    // ≥ it); in the last block, every remaining row.
    const final = b1 === end;
    for (; i < m; i++) {
      const x = l[lo + i]!;
      if (!final && !(x < prev)) break;
      while (j + 16 < b1 && r[j + 16]! <= x) j += 16;
      while (j + 1 < b1 && r[j + 1]! <= x) j++;
      out[i] = j - ro;
    }
  }
  for (; i < m; i++) out[i] = -1; // n = 0
  return true;
}

/**
 * From le[i] = last right index with key ≤ l(i) (lastAtMostMerge), the last index with key <
 * l(i): back over the keys equal to l(i), compared on the readers' exact scale. O(n + m) in all:
 * equal left keys reuse the answer, and distinct ones walk back over disjoint runs.
 */
export function lastBelowFromLe(l: KeyReader, r: KeyReader, le: Int32Array, out: Int32Array = new Int32Array(l.n)): Int32Array {
  const m = l.n;
  let px = NaN, pj = -1;
  for (let i = 0; i < m; i++) {
    const x = l.at(i);
    if (x === px) { out[i] = pj; continue; }
    let j = le[i]!;
    while (j >= 0 && !(r.at(j) < x)) j--;
    out[i] = pj = j;
    px = x;
  }
  return out;
}
