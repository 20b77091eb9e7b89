// fusion.convert-time-unit: the one explicit way to change a timestamp's unit (or to read raw int64
// counts — the ns column of a CSV — as a timestamp). Coarser units round as asked, never silently.
import type { Int64, OpCall, Timestamp, TimeUnit } from '@modaflow/core';
import { defineOp, dt, InvalidArgumentError } from '@modaflow/core';
import { convertTime, NS_PER, type Rounding } from '../util/time-units.ts';

export interface ConvertTimeUnitParams {
  readonly column: string;
  /** Unit of the input values (of the timestamp dtype, or of the raw int64 counts). */
  readonly from: TimeUnit;
  readonly to: TimeUnit;
  /** Input dtype: 'timestamp' (default) or 'int64' raw counts. */
  readonly input?: 'timestamp' | 'int64';
  /** Toward a coarser unit: 'floor' (default), 'trunc', or 'exact' (a remainder is a row error). */
  readonly rounding?: Rounding;
  readonly output?: string;
}

const OP = 'fusion.convert-time-unit';
const UNITS = Object.keys(NS_PER);

const def = defineOp<ConvertTimeUnitParams>({
  name: OP,
  module: import.meta.url,
  description: 'convert a timestamp (or int64 counts) to another time unit',
  inputs: (p) => ({ [p.column]: p.input === 'int64' ? dt.int64() : dt.timestamp(p.from) }),
  outputs: (p) => ({ [p.output ?? p.column]: dt.timestamp(p.to) }),
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // 0.26–0.32 (a bigint per row in and out). Was 0.01.
  properties: { costPerRow: 0.3 },
  validate(p) {
    for (const u of [p.from, p.to]) {
      if (!UNITS.includes(u)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `unknown time unit '${String(u)}'`, { op: OP, fix: "use 's', 'ms', 'us' or 'ns'" });
    }
    if (p.rounding !== undefined && !['floor', 'trunc', 'exact'].includes(p.rounding)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `rounding must be floor, trunc or exact, got '${String(p.rounding)}'`, { op: OP, fix: "rounding: 'floor'" });
    }
  },
  kernel(input, p, ctx) {
    const v = input.values(p.column) as (bigint | null)[];
    const out = v.map((x, i) => {
      if (x === null) return null;
      try {
        return convertTime(x, p.from, p.to, p.rounding ?? 'floor');
      } catch (e) {
        ctx.rowError(i, e as Error, { column: p.column, code: 'MF_ROW_ERROR' });
        return null;
      }
    });
    return { columns: { [p.output ?? p.column]: out } };
  },
});

export const convertTimeUnitOp = def;

/**
 * Convert a timestamp column to another unit, or read int64 counts of `from` as a timestamp.
 *
 * @example readCsv('imu0.csv').map(convertTimeUnit({ column: 't', input: 'int64', from: 'ns', to: 'ns' }))
 */
export function convertTimeUnit<C extends string, F extends TimeUnit, T extends TimeUnit, I extends 'timestamp' | 'int64' = 'timestamp', O extends string = C>(
  p: ConvertTimeUnitParams & { readonly column: C; readonly from: F; readonly to: T; readonly input?: I; readonly output?: O },
): OpCall<{ readonly [K in C]: I extends 'int64' ? Int64 : Timestamp<F> }, { readonly [K in O]: Timestamp<T> }> {
  return def.call(p) as never;
}
