// fusion.window-agg: per row, aggregates over the samples of the last Δ — the window [t − Δ, t] —
// of the same group. Causal: a row never sees samples that come after it in time order.
import type * as arrow from 'apache-arrow';
import type { Chunk, Dataset, DType, Float64, Int32, Schema, TableOpCall, TableOpResult } from '@modaflow/core';
import { defineTableOp, dtypeToString, makeChunk, rowIdsOf, buildData, InvalidArgumentError, DTypeMismatchError, ColumnNotFoundError, takeChunk } from '@modaflow/core';
import { readKeys, orderBy } from '../util/keys.ts';
import { isTimeKeyType, parseDuration, unitOf } from '../util/time-units.ts';
import { groupCodes, numericColumn, NUMERIC_KINDS } from '../util/columns.ts';

export type WindowAggregate = 'count' | 'sum' | 'mean' | 'min' | 'max';

export interface WindowAggParams {
  readonly on: string;
  /** Δ: a count of the key's unit, or a string with a unit ('100ms') for timestamp keys. */
  readonly window: number | bigint | string;
  readonly columns: readonly string[];
  readonly aggs: readonly WindowAggregate[];
  readonly by?: string;
  /**
   * Out-of-order rows: 'sort' (default) processes rows in time order (stable) and outputs them in
   * that order; 'drop' keeps arrival order and drops every row older than the newest row seen
   * before it in its `by` group (in the whole input without `by`): a late row is in no window.
   * The run report counts the dropped rows under `filtered`.
   */
  readonly late?: 'sort' | 'drop';
}

const OP = 'fusion.window-agg';

function validate(p: WindowAggParams, inputs: readonly Schema[]): void {
  const s = inputs[0]!;
  const kt = s[p.on];
  if (!kt) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `no key column '${p.on}'`, { op: OP, column: p.on, fix: `available: ${Object.keys(s).join(', ')}` });
  if (!isTimeKeyType(kt)) throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `key '${p.on}' is ${dtypeToString(kt)}`, { op: OP, column: p.on, fix: 'window over a timestamp or numeric column' });
  if (typeof p.window === 'string' && kt.kind !== 'timestamp') {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `window '${p.window}' has a unit but key '${p.on}' is not a timestamp`, { op: OP, column: p.on, fix: 'pass the window as a number on the key scale' });
  }
  const w = kt.kind === 'float32' || kt.kind === 'float64' ? Number(p.window) : parseDuration(p.window, unitOf(kt) ?? 'ns', 'window');
  if (!(w >= 0)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `window must be >= 0, got ${String(p.window)}`, { op: OP, fix: "window: '100ms'" });
  if (p.late !== undefined && p.late !== 'sort' && p.late !== 'drop') throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `late must be 'sort' or 'drop', got '${String(p.late)}'`, { op: OP, fix: "late: 'sort'" });
  if (p.by !== undefined && !(p.by in s)) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `no group column '${p.by}'`, { op: OP, column: p.by, fix: `available: ${Object.keys(s).join(', ')}` });
  for (const a of p.aggs) if (!['count', 'sum', 'mean', 'min', 'max'].includes(a)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `unknown aggregate '${String(a)}'`, { op: OP, fix: 'use count, sum, mean, min or max' });
  for (const c of p.columns) {
    const t = s[c];
    if (!t || !NUMERIC_KINDS.has(t.kind)) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', t ? `column '${c}' is ${dtypeToString(t)}, not numeric` : `no column '${c}'`, { op: OP, column: c, fix: 'aggregate numeric columns' });
    }
    for (const a of p.aggs) if (`${c}_${a}` in s) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `output column '${c}_${a}' already exists`, { op: OP, column: `${c}_${a}`, fix: 'rename or drop it first' });
  }
}

function outputs(p: WindowAggParams, inputs: readonly Schema[]): Schema {
  const out: Record<string, DType> = { ...inputs[0]! };
  for (const c of p.columns) for (const a of p.aggs) out[`${c}_${a}`] = a === 'count' ? { kind: 'int32' } : { kind: 'float64' };
  return out;
}

/**
 * The rows that are late under 'drop': older than the newest row before them in arrival order.
 * The watermark is kept per group, so interleaved devices do not make each other's rows late.
 */
function lateRows(keys: Float64Array | BigInt64Array, groups: Int32Array | null, nGroups: number): Uint8Array {
  const late = new Uint8Array(keys.length);
  const newest: (number | bigint | undefined)[] = new Array(nGroups).fill(undefined);
  for (let i = 0; i < keys.length; i++) {
    const g = groups ? groups[i]! : 0;
    const seen = newest[g];
    if (seen !== undefined && keys[i]! < seen) late[i] = 1;
    else newest[g] = keys[i]!;
  }
  return late;
}

function run(inputs: readonly Chunk[], p: WindowAggParams): TableOpResult {
  const input = inputs[0]!;
  const kt = input.schema[p.on]!;
  const arrival = readKeys([input.columns[p.on]!], [kt], OP, p.on, ['input']).arrays[0]!;
  let groupsIn: Int32Array | null = null, nGroups = 1;
  if (p.by !== undefined) {
    const g = groupCodes([{ types: [input.schema[p.by]!], datas: [input.columns[p.by]!] }]);
    groupsIn = g.codes[0]!;
    nGroups = g.count;
  }
  // The rows to aggregate, in processing order: all in stable time order ('sort'), or the rows
  // that are not late in arrival order ('drop').
  const late = p.late === 'drop' ? lateRows(arrival, groupsIn, nGroups) : null;
  let sel: Uint32Array;
  if (late) {
    sel = new Uint32Array(late.length - late.reduce((a, x) => a + x, 0));
    for (let i = 0, k = 0; i < late.length; i++) if (!late[i]) sel[k++] = i;
  } else sel = orderBy(arrival, null, 1).order;
  const c = takeChunk(input, sel);
  const keys = readKeys([c.columns[p.on]!], [kt], OP, p.on, ['input']).arrays[0]!;
  const big = keys instanceof BigInt64Array;
  const w = kt.kind === 'float32' || kt.kind === 'float64' ? Number(p.window) : parseDuration(p.window, unitOf(kt) ?? 'ns', 'window');
  const win = big ? BigInt(w) : Number(w);
  const n = c.length;
  const groups = groupsIn ? Int32Array.from(sel, (i) => groupsIn[i]!) : null;
  // Rows are in time order now, so ordering by group keeps time order inside each group.
  const { order, offsets } = orderBy(new Float64Array(n).map((_, i) => i), groups, nGroups);
  // The processed rows: in time order ('sort'), or the rows that are not late in arrival order ('drop').
  const cols: Record<string, arrow.Data> = { ...c.columns };
  for (const name of p.columns) {
    const { values, valid } = numericColumn(c.schema[name]!, c.columns[name]!);
    const res: Record<WindowAggregate, Float64Array> = {
      count: new Float64Array(n), sum: new Float64Array(n), mean: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n),
    };
    for (let g = 0; g < nGroups; g++) {
      const g0 = offsets[g]!, g1 = offsets[g + 1]!;
      let lo = g0, sum = 0, comp = 0, cnt = 0;
      const minQ: number[] = [], maxQ: number[] = [];
      let minH = 0, maxH = 0;
      for (let a = g0; a < g1; a++) {
        const i = order[a]!;
        const t = keys[i]!;
        const add = (x: number) => { const y = x - comp; const s2 = sum + y; comp = (s2 - sum) - y; sum = s2; };
        if (valid[i]) {
          cnt++;
          add(values[i]!);
          while (minQ.length > minH && values[minQ[minQ.length - 1]!]! >= values[i]!) minQ.pop();
          minQ.push(i);
          while (maxQ.length > maxH && values[maxQ[maxQ.length - 1]!]! <= values[i]!) maxQ.pop();
          maxQ.push(i);
        }
        // Leave the window: rows older than t − Δ (the window is closed on both ends).
        while (lo < a && (t as number) - (keys[order[lo]!]! as number) > (win as number)) {
          const j = order[lo]!;
          if (valid[j]) { cnt--; add(-values[j]!); }
          if (minQ.length > minH && minQ[minH] === j) minH++;
          if (maxQ.length > maxH && maxQ[maxH] === j) maxH++;
          lo++;
        }
        if (cnt === 0) { sum = 0; comp = 0; }
        res.count[i] = cnt;
        res.sum[i] = cnt ? sum : NaN;
        res.mean[i] = cnt ? sum / cnt : NaN;
        res.min[i] = cnt ? values[minQ[minH]!]! : NaN;
        res.max[i] = cnt ? values[maxQ[maxH]!]! : NaN;
      }
    }
    for (const a of p.aggs) {
      const r = res[a];
      cols[`${name}_${a}`] = a === 'count' ? buildData({ kind: 'int32' }, Int32Array.from(r)) : buildData({ kind: 'float64' }, Array.from(r, (x) => (Number.isNaN(x) ? null : x)));
    }
  }
  return { chunk: makeChunk(outputs(p, [input.schema]), cols, rowIdsOf(c)), filtered: input.length - n };
}

export const windowAggOp = defineTableOp<WindowAggParams>({
  name: OP,
  module: import.meta.url,
  description: 'aggregates over the window [t − Δ, t] per row (causal)',
  arity: 1,
  validate,
  outputs,
  run: (inputs, p) => run(inputs, p),
});

/** The schema after windowAgg: the input plus `<col>_<agg>` columns (count int32, the rest float64). */
export type WindowSchema<S extends Schema, C extends string, A extends WindowAggregate> = {
  readonly [K in keyof S | `${C}_${A}`]: K extends `${C}_count` ? Int32 : K extends `${C}_${A}` ? Float64 : K extends keyof S ? S[K] : never;
};

/**
 * Per row, aggregates of `columns` over the rows of the same group whose time lies in [t − Δ, t]
 * and that come at or before it in time order (pandas `rolling(Δ, closed='both')` on sorted data).
 * Nulls are skipped; an empty window gives null (count 0). Output columns are `<col>_<agg>`.
 * With `late: 'drop'`, the late rows the op drops are counted under the run report's `filtered`
 * (and explain({ analyze: true }) shows the op's rows in → out).
 *
 * @example windowAgg(imu, { on: 't', window: '50ms', columns: ['ax'], aggs: ['mean', 'max'] })
 */
export function windowAgg<S extends Schema, C extends keyof S & string, A extends WindowAggregate>(
  ds: Dataset<S>, p: WindowAggParams & { readonly on: keyof S & string; readonly columns: readonly C[]; readonly aggs: readonly A[] },
): Dataset<WindowSchema<S, C, A>> {
  return ds.apply(windowAggOp.call(p) as TableOpCall<WindowSchema<S, C, A>>);
}
