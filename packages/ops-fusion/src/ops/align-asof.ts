// fusion.align-asof: for each left row, the right row nearest in time (backward, forward or
// nearest) within a tolerance, optionally within the same group — pandas.merge_asof semantics.
import type * as arrow from 'apache-arrow';
import type { AsSchema, Chunk, Dataset, DType, Schema, Simplify, TableOpCall, TimeUnit } from '@modaflow/core';
import { defineTableOp, dtypeToString, makeChunk, rowIdsOf, InvalidArgumentError, ColumnNotFoundError, DTypeMismatchError } from '@modaflow/core';
import { parseDuration, unitOf } from '../util/time-units.ts';
import { KeyReader, checkKeyDtypes, keyReaders, lastAtMost, lastBelowFromLe, mergeKeys, mergeLe, orderBy, readKeys, toleranceOn, type MergeKeys } from '../util/keys.ts';
import { groupCodes, takeOrNull } from '../util/columns.ts';
import { scratchI32 } from '../util/scratch.ts';

export type AsofDirection = 'backward' | 'forward' | 'nearest';

export interface AlignAsofParams {
  /** Time key column of both inputs: timestamps of one unit, or numbers the key reader compares (checkKeyDtypes). */
  readonly on: string;
  /** Group key column(s): rows match only within equal groups (a device id). */
  readonly by?: string | readonly string[];
  /** 'backward' (default): last right row at or before; 'forward': first at or after; 'nearest'. */
  readonly direction?: AsofDirection;
  /** Largest allowed |left − right| key distance: a count of the key's unit, or a string like '5ms'. */
  readonly tolerance?: number | bigint | string;
  /** Whether equal keys match (default true, like pandas allow_exact_matches). */
  readonly allowExactMatches?: boolean;
  /** Also output the matched right key under this name (null where unmatched). */
  readonly rightKeyAs?: string;
}

const OP = 'fusion.align-asof';

function byList(p: AlignAsofParams): string[] {
  return p.by === undefined ? [] : typeof p.by === 'string' ? [p.by] : [...p.by];
}

function need(s: Schema, name: string, side: string): DType {
  const t = s[name];
  if (!t) {
    throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `${side} input has no column '${name}'; available: ${Object.keys(s).join(', ')}`, {
      op: OP, column: name, fix: `rename the ${side} column to '${name}' or pass the right name`,
    });
  }
  return t;
}

function validate(p: AlignAsofParams, inputs: readonly Schema[]): void {
  if (p.direction !== undefined && !['backward', 'forward', 'nearest'].includes(p.direction)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `direction must be 'backward', 'forward' or 'nearest', got '${String(p.direction)}'`, { op: OP, fix: "direction: 'backward'" });
  }
  const [l, r] = inputs as [Schema, Schema];
  const lt = need(l, p.on, 'left'), rt = need(r, p.on, 'right');
  checkKeyDtypes([lt, rt], OP, p.on, ['left', 'right']);
  toleranceOf(p, lt);
  const by = byList(p);
  for (const b of by) {
    const a = need(l, b, 'left'), c = need(r, b, 'right');
    if (dtypeToString(a) !== dtypeToString(c)) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `group key '${b}' is ${dtypeToString(a)} on the left and ${dtypeToString(c)} on the right`, { op: OP, column: b, fix: 'cast one side so the group keys have the same dtype' });
    }
  }
  const taken = new Set(Object.keys(l));
  for (const k of rightColumns(p, r)) {
    if (taken.has(k)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `column '${k}' exists on both sides`, {
        op: OP, column: k, fix: `rename one side first: right.rename({ ${JSON.stringify(k)}: '${k}_right' })`,
      });
    }
  }
  if (p.rightKeyAs !== undefined && (taken.has(p.rightKeyAs) || p.rightKeyAs in r && p.rightKeyAs !== p.on)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `rightKeyAs '${p.rightKeyAs}' names an existing column`, { op: OP, column: p.rightKeyAs, fix: 'choose a new column name' });
  }
}

/** The tolerance on the key's own scale: bigint for integer/timestamp keys, number for float keys. */
function toleranceOf(p: AlignAsofParams, kt: DType): bigint | number | undefined {
  if (p.tolerance === undefined) return undefined;
  if (typeof p.tolerance === 'string' && kt.kind !== 'timestamp') {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `tolerance '${p.tolerance}' has a unit but key '${p.on}' is ${dtypeToString(kt)}, not a timestamp`, {
      op: OP, column: p.on, fix: 'pass the tolerance as a number in the key\'s own scale',
    });
  }
  const tol = kt.kind === 'float32' || kt.kind === 'float64'
    ? Number(p.tolerance)
    : parseDuration(p.tolerance, unitOf(kt) ?? 'ns', 'tolerance');
  if (!(tol >= 0)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `tolerance must be >= 0, got ${String(p.tolerance)}`, { op: OP, fix: 'pass a non-negative tolerance' });
  return tol;
}

function rightColumns(p: AlignAsofParams, r: Schema): string[] {
  const skip = new Set([p.on, ...byList(p)]);
  return Object.keys(r).filter((k) => !skip.has(k));
}

function outputs(p: AlignAsofParams, inputs: readonly Schema[]): Schema {
  const [l, r] = inputs as [Schema, Schema];
  const out: Record<string, DType> = { ...l };
  for (const k of rightColumns(p, r)) out[k] = r[k]!;
  if (p.rightKeyAs !== undefined) out[p.rightKeyAs] = r[p.on]!;
  return out;
}

/**
 * The matching right row of every left row (-1: none). Keys are on one scale; groups are codes.
 * Exported for the brute-force comparison in tests and the benchmark.
 */
export function asofIndices(
  lk: Float64Array | BigInt64Array, rk: Float64Array | BigInt64Array,
  lg: Int32Array | null, rg: Int32Array | null, nGroups: number,
  direction: AsofDirection, tol: number | bigint, allowExact: boolean,
): Int32Array {
  const out = new Int32Array(lk.length).fill(-1);
  const L = orderBy(lk, lg, nGroups), R = orderBy(rk, rg, nGroups);
  // tol -1n (bigint scale) or Infinity (number scale) means no limit.
  const noTol = tol === Infinity || tol === -1n;
  const back = direction !== 'forward' ? new Int32Array(lk.length).fill(-1) : null;
  const fwd = direction !== 'backward' ? new Int32Array(lk.length).fill(-1) : null;
  const groups = Math.max(1, nGroups);
  for (let g = 0; g < groups; g++) {
    const l0 = L.offsets[g]!, l1 = L.offsets[g + 1]!, r0 = R.offsets[g]!, r1 = R.offsets[g + 1]!;
    if (back) {
      let j = r0 - 1;
      for (let a = l0; a < l1; a++) {
        const li = L.order[a]!;
        const x = lk[li]!;
        if (allowExact) while (j + 1 < r1 && rk[R.order[j + 1]!]! <= x) j++;
        else while (j + 1 < r1 && rk[R.order[j + 1]!]! < x) j++;
        if (j >= r0) {
          const ri = R.order[j]!;
          if (noTol || (x as number) - (rk[ri]! as number) <= (tol as number)) back[li] = ri;
        }
      }
    }
    if (fwd) {
      let j = r0;
      for (let a = l0; a < l1; a++) {
        const li = L.order[a]!;
        const x = lk[li]!;
        if (allowExact) while (j < r1 && rk[R.order[j]!]! < x) j++;
        else while (j < r1 && rk[R.order[j]!]! <= x) j++;
        if (j < r1) {
          const ri = R.order[j]!;
          if (noTol || (rk[ri]! as number) - (x as number) <= (tol as number)) fwd[li] = ri;
        }
      }
    }
  }
  if (direction === 'backward') return back!;
  if (direction === 'forward') return fwd!;
  for (let i = 0; i < out.length; i++) {
    const b = back![i]!, f = fwd![i]!;
    if (b >= 0 && f >= 0) {
      // pandas: the backward match wins a tie.
      out[i] = (lk[i]! as number) - (rk[b]! as number) <= (rk[f]! as number) - (lk[i]! as number) ? b : f;
    } else out[i] = b >= 0 ? b : f;
  }
  return out;
}

/**
 * asofIndices for a sorted right side without groups, reading keys in place: each left row is a
 * galloping search from the previous row's answer, O(m·log(n/m)) key reads for m left rows in time
 * order (any left order is right, only slower). Same answers as asofIndices (tested).
 */
export function asofSorted(lk: KeyReader, rk: KeyReader, direction: AsofDirection, tol: number, allowExact: boolean): Int32Array {
  const m = lk.n;
  const out = new Int32Array(m);
  let hLe = -1, hLt = -1;
  for (let i = 0; i < m; i++) {
    const x = lk.at(i);
    // b: last right key <= x (or < x); f: first right key >= x (or > x).
    let b = -1, f = -1;
    if (direction !== 'forward') {
      b = allowExact ? (hLe = lastAtMost(rk, x, false, hLe)) : (hLt = lastAtMost(rk, x, true, hLt));
      if (b >= 0 && !(x - rk.at(b) <= tol)) b = -1;
    }
    if (direction !== 'backward') {
      f = (allowExact ? (hLt = lastAtMost(rk, x, true, hLt)) : (hLe = lastAtMost(rk, x, false, hLe))) + 1;
      if (f >= rk.n || !(rk.at(f) - x <= tol)) f = -1;
    }
    if (b >= 0 && f >= 0) out[i] = x - rk.at(b) <= rk.at(f) - x ? b : f; // pandas: backward wins a tie
    else out[i] = b >= 0 ? b : f;
  }
  return out;
}

/**
 * asofIndices for an ascending left side and no groups (mergeKeys), in one pass over the right
 * keys that also checks they ascend: null when they do not (the caller takes another path).
 * Same answers as asofIndices (tested).
 */
export function asofMerge(k: MergeKeys, direction: AsofDirection, tol: number, allowExact: boolean, scratch = false): Int32Array | null {
  const m = k.left.n, n = k.right.n;
  // With `scratch` the arrays (the answer too) are reused ones: valid until the next call.
  const alloc = (slot: number) => (scratch ? scratchI32(slot, m) : new Int32Array(m));
  const le = alloc(0);
  if (!mergeLe(k, le)) return null;
  // b: last right key <= x (or < x); f: first right key >= x (or > x).
  const needLt = direction === 'nearest' || (direction === 'backward') !== allowExact;
  const lt = needLt ? lastBelowFromLe(k.left, k.right, le, alloc(1)) : le;
  const back = direction === 'forward' ? null : allowExact ? le : lt;
  const fwd = direction === 'backward' ? null : allowExact ? lt : le;
  if (back && !fwd && tol === Infinity) return back;
  const out = alloc(2);
  const lk = k.left, rk = k.right;
  for (let i = 0; i < m; i++) {
    const x = lk.at(i);
    let b = back ? back[i]! : -1, f = fwd ? fwd[i]! + 1 : -1;
    if (b >= 0 && !(x - rk.at(b) <= tol)) b = -1;
    if (f >= n || (f >= 0 && !(rk.at(f) - x <= tol))) f = -1;
    if (b >= 0 && f >= 0) out[i] = x - rk.at(b) <= rk.at(f) - x ? b : f; // pandas: backward wins a tie
    else out[i] = b >= 0 ? b : f;
  }
  return out;
}

function run(inputs: readonly Chunk[], p: AlignAsofParams): Chunk {
  const [l, r] = inputs as [Chunk, Chunk];
  const lt = l.schema[p.on]!;
  if (byList(p).length === 0) {
    const mk = mergeKeys(l.columns[p.on]!, r.columns[p.on]!, lt, r.schema[p.on]!);
    if (mk) {
      const t = toleranceOf(p, lt);
      const idx = asofMerge(mk, p.direction ?? 'backward', t === undefined ? Infinity : Number(t), p.allowExactMatches ?? true, true);
      if (idx) return assemble(l, r, p, idx);
    }
    const kr = keyReaders([l.columns[p.on]!, r.columns[p.on]!], [lt, r.schema[p.on]!]);
    if (kr && kr.sorted[1]) {
      const t = toleranceOf(p, lt);
      const idx = asofSorted(kr.readers[0]!, kr.readers[1]!, p.direction ?? 'backward', t === undefined ? Infinity : Number(t), p.allowExactMatches ?? true);
      return assemble(l, r, p, idx);
    }
  }
  const keys = readKeys([l.columns[p.on]!, r.columns[p.on]!], [lt, r.schema[p.on]!], OP, p.on, ['left', 'right']);
  const tol = toleranceOn(keys, toleranceOf(p, lt));
  const by = byList(p);
  let lg: Int32Array | null = null, rg: Int32Array | null = null, nGroups = 1;
  if (by.length) {
    const g = groupCodes([
      { types: by.map((b) => l.schema[b]!), datas: by.map((b) => l.columns[b]!) },
      { types: by.map((b) => r.schema[b]!), datas: by.map((b) => r.columns[b]!) },
    ]);
    [lg, rg] = g.codes as [Int32Array, Int32Array];
    nGroups = g.count;
  }
  const idx = asofIndices(keys.arrays[0]!, keys.arrays[1]!, lg, rg, nGroups, p.direction ?? 'backward', tol, p.allowExactMatches ?? true);
  return assemble(l, r, p, idx);
}

/** The left rows with the matched right rows' columns (null where idx is -1). */
function assemble(l: Chunk, r: Chunk, p: AlignAsofParams, idx: Int32Array): Chunk {
  const schema = outputs(p, [l.schema, r.schema]);
  const cols: Record<string, arrow.Data> = { ...l.columns };
  for (const k of rightColumns(p, r.schema)) cols[k] = takeOrNull(r.schema[k]!, r.columns[k]!, idx);
  if (p.rightKeyAs !== undefined) cols[p.rightKeyAs] = takeOrNull(r.schema[p.on]!, r.columns[p.on]!, idx);
  return makeChunk(schema, cols, rowIdsOf(l));
}

export const alignAsofOp = defineTableOp<AlignAsofParams>({
  name: OP,
  module: import.meta.url,
  description: 'as-of join by time (pandas.merge_asof semantics)',
  arity: 2,
  validate,
  outputs,
  run: (inputs, p) => run(inputs, p),
});

type ByKeys<B> = B extends string ? B : B extends readonly (infer E)[] ? E & string : never;

/** The schema after alignAsof: left columns, right columns except the keys, optional matched key. */
export type AsofSchema<L extends Schema, R extends Schema, On extends string, By extends string, As extends string> = AsSchema<Simplify<
  L & { readonly [K in Exclude<keyof R, On | By>]: R[K] } & { readonly [K in As]: R[On] }
>>;

/**
 * As-of join of two streams by time, pandas.merge_asof semantics: every left row gets the right
 * row found in `direction` within `tolerance` (right columns null where none). Left keeps its row
 * order; the right need not be sorted (it is sorted stably). Equal right keys: backward takes the
 * last, forward the first; nearest breaks a distance tie toward backward.
 *
 * @example
 * const aligned = alignAsof(cam, imu, { on: 't', direction: 'nearest', tolerance: '5ms' });
 */
export function alignAsof<
  L extends Schema, R extends Schema, On extends keyof L & keyof R & string,
  const B extends (keyof L & keyof R & string) | readonly (keyof L & keyof R & string)[] = never,
  As extends string = never,
>(
  left: Dataset<L>, right: Dataset<R>,
  opts: AlignAsofParams & { readonly on: On; readonly by?: B; readonly rightKeyAs?: As },
): Dataset<AsofSchema<L, R, On, ByKeys<B>, As>> {
  const call = alignAsofOp.call<AsofSchema<L, R, On, ByKeys<B>, As>>(opts) as TableOpCall<AsofSchema<L, R, On, ByKeys<B>, As>>;
  return left.apply(call, right as unknown as Dataset<Schema>);
}

export type { TimeUnit };
