// A small op library for the planner tests: each op has the property the rules must respect
// (row-local, filtering, non-deterministic, global, side effects, absorbing) and nothing else.
import { defineOp, dt } from '../../src/index.ts';
import type { Float64, OpCall, OpDef, Schema } from '../../src/index.ts';

type Num = (number | null)[];
const nums = (v: unknown[]) => v as Num;

/** output = column + k (row-local, deterministic). */
export const addDef = defineOp<{ column: string; output: string; k: number; cost?: number }>({
  name: 'test.add',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: (p) => ({ costPerRow: p.cost ?? 1 }),
  kernel: (input, p) => ({ columns: { [p.output]: nums(input.values(p.column)).map((x) => (x === null ? null : x + p.k)) } }),
});
export const add = <C extends string, O extends string>(column: C, output: O, k: number, cost?: number) =>
  addDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(cost === undefined ? { column, output, k } : { column, output, k, cost });

/** column = column * f, in place; absorbs a following scale of the same column (f1 * f2). */
export const scaleDef: OpDef<{ column: string; f: number }> = defineOp<{ column: string; f: number }>({
  name: 'test.scale',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.column]: dt.float64() }),
  kernel: (input, p) => ({ columns: { [p.column]: nums(input.values(p.column)).map((x) => (x === null ? null : x * p.f)) } }),
  absorb(p, next: OpCall<Schema, Schema, string>): OpCall<Schema, Schema, string> | null {
    if (next.op !== 'test.scale') return null;
    const q = next.params as { column: string; f: number };
    return q.column === p.column ? scaleDef.call({ column: p.column, f: p.f * q.f }) : null;
  },
});
export const scale = <C extends string>(column: C, f: number) => scaleDef.call<{ [K in C]: Float64 }, { [K in C]: Float64 }>({ column, f });

/** Keeps rows whose column value is ≡ r (mod m) (a filtering op); with `output`, also writes the remainder. */
export const keepModDef = defineOp<{ column: string; m: number; r: number; output?: string; cost?: number; selectivity?: number }>({
  name: 'test.keep-mod',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => (p.output ? { [p.output]: dt.float64() } : {}),
  properties: (p) => ({ filters: true, costPerRow: p.cost ?? 1, ...(p.selectivity !== undefined ? { selectivity: p.selectivity } : {}) }),
  kernel: (input, p) => {
    const rem = nums(input.values(p.column)).map((x) => (x === null ? null : ((x % p.m) + p.m) % p.m));
    return { columns: p.output ? { [p.output]: rem } : {}, keep: rem.map((x) => x === p.r) };
  },
});
export const keepMod = <C extends string>(column: C, m: number, r: number, extra: { output?: string; cost?: number; selectivity?: number } = {}) =>
  keepModDef.call<{ [K in C]: Float64 }, { [k: string]: Float64 }>({ column, m, r, ...extra });

/** output = the row's position in its batch: depends on which other rows are present (non-deterministic). */
export const batchPosDef = defineOp<{ output: string }>({
  name: 'test.batch-pos',
  module: import.meta.url,
  inputs: () => ({}),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: { deterministic: false },
  kernel: (input, p) => ({ columns: { [p.output]: Float64Array.from({ length: input.numRows }, (_, i) => i) } }),
});
export const batchPos = <O extends string>(output: O) => batchPosDef.call<{}, { [K in O]: Float64 }>({ output });

/** output = column - mean(column) over the whole dataset (a global op: statistics, then row-local). */
export const centerDef = defineOp<{ column: string; output: string; cost?: number }, undefined, number>({
  name: 'test.center',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: (p) => ({ costPerRow: p.cost ?? 1 }),
  stats: {
    init: () => ({ sum: 0, n: 0 }),
    update: (acc: { sum: number; n: number }, input, p) => {
      for (const x of nums(input.values(p.column))) if (x !== null) { acc.sum += x; acc.n++; }
      return acc;
    },
    merge: (a: { sum: number; n: number }, b: { sum: number; n: number }) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
    // Sums of small integers are exact, so the mean does not depend on the order rows arrive in.
    finalize: (acc: { sum: number; n: number }) => (acc.n === 0 ? 0 : acc.sum / acc.n),
  },
  kernel: (input, p, ctx) => ({ columns: { [p.output]: nums(input.values(p.column)).map((x) => (x === null ? null : x - ctx.stats)) } }),
});
export const center = <C extends string, O extends string>(column: C, output: O, cost?: number) =>
  centerDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(cost === undefined ? { column, output } : { column, output, cost });

/** Records every row it sees (the side effect), and copies column to output. */
export const seen: number[] = [];
export const tapDef = defineOp<{ column: string; output: string }>({
  name: 'test.tap',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: { sideEffects: true },
  kernel: (input, p) => {
    for (const id of input.rowIds) seen.push(id);
    return { columns: { [p.output]: input.values(p.column) } };
  },
});
export const tap = <C extends string, O extends string>(column: C, output: O) => tapDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>({ column, output });

/** Rejects rows whose column is 0 (ctx.rowError) and passes the value on as output. */
export const rejectZeroDef = defineOp<{ column: string; output: string }>({
  name: 'test.reject-zero',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  kernel: (input, p, ctx) => {
    const v = nums(input.values(p.column));
    v.forEach((x, i) => { if (x === 0) ctx.rowError(i, 'zero', { column: p.column }); });
    return { columns: { [p.output]: v } };
  },
});
export const rejectZero = <C extends string, O extends string>(column: C, output: O) => rejectZeroDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>({ column, output });

/** Row ids of every row the op computed (a test's window on how often the op ran); output = column. */
export const countedRows: number[] = [];
export const countedDef = defineOp<{ column: string; output: string; cost?: number }>({
  name: 'test.counted',
  module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }),
  outputs: (p) => ({ [p.output]: dt.float64() }),
  properties: (p) => ({ costPerRow: p.cost ?? 1 }),
  kernel: (input, p) => {
    for (const id of input.rowIds) countedRows.push(id);
    return { columns: { [p.output]: input.values(p.column) } };
  },
});
export const counted = <C extends string, O extends string>(column: C, output: O, cost?: number) =>
  countedDef.call<{ [K in C]: Float64 }, { [K in O]: Float64 }>(cost === undefined ? { column, output } : { column, output, cost });
