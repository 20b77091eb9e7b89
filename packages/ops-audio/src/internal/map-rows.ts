// The loop every per-clip op shares: read each non-null tensor row, compute, collect; a row the
// function rejects (by returning a string) becomes a row error with the given code.
import type { KernelContext, KernelInput } from '@modaflow/core';
import { readNumbers, readRows, TensorColumn, type Row } from './tensors.ts';

export type RowFn = (row: Row, i: number) => { data: Float32Array; shape: number[] } | string;

export interface MapRowsOptions {
  readonly column: string;
  readonly inNdim: 2 | 3;
  readonly outNdim: 2 | 3;
  /** Code of rejected rows. */
  readonly code: string;
  /** If set: rows whose sample rate differs from `expectRate` are errors (MF_AUDIO_RATE). */
  readonly sampleRateColumn?: string | undefined;
  readonly expectRate?: number;
}

export function mapRows(input: KernelInput, ctx: KernelContext<unknown, unknown>, o: MapRowsOptions, fn: RowFn) {
  const rows = readRows(input, o.column, o.inNdim);
  const rates = o.sampleRateColumn ? readNumbers(input, o.sampleRateColumn) : null;
  const out = new TensorColumn(o.outNdim, input.numRows);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r) continue;
    if (rates && o.expectRate !== undefined && rates[i] !== o.expectRate) {
      ctx.rowError(i, `clip is at ${rates[i]} Hz but the op is configured for ${o.expectRate} Hz — fix: resample first (audio.resample to ${o.expectRate}) or set sampleRate to match`, { column: o.column, code: 'MF_AUDIO_RATE' });
      continue;
    }
    const res = fn(r, i);
    if (typeof res === 'string') ctx.rowError(i, res, { column: o.column, code: o.code });
    else out.set(i, res.data, res.shape);
  }
  return out.build();
}
