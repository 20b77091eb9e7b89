// fusion.mask-missing: make missing modalities explicit — one bool column per modality, true where
// the modality is present — so a model (or a later fill) sees what was imputed.
import type { Bool, OpCall, Schema } from '@modaflow/core';
import { defineOp, dt, isValid, InvalidArgumentError } from '@modaflow/core';

export interface MaskMissingParams {
  /** Modality columns and their dtypes. */
  readonly columns: Schema;
  /** Mask column name = column + suffix (default '_present'). */
  readonly suffix?: string;
}

const OP = 'fusion.mask-missing';

const def = defineOp<MaskMissingParams>({
  name: OP,
  module: import.meta.url,
  description: 'one bool column per modality: true where present',
  inputs: (p) => p.columns,
  outputs: (p) => Object.fromEntries(Object.keys(p.columns).map((c) => [c + (p.suffix ?? '_present'), dt.bool()])),
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // ~0.05 per column (two columns 0.10–0.14: a JS boolean per row, then a bit column). Was 0.01.
  properties: (p) => ({ costPerRow: Number((0.05 * Object.keys(p.columns ?? {}).length).toPrecision(2)) }),
  validate(p) {
    if (!p.columns || Object.keys(p.columns).length === 0) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'maskMissing needs at least one column', { op: OP, fix: 'columns: { audio: dt.varTensor(dt.float32(), 1) }' });
    }
  },
  kernel(input, p) {
    const columns: Record<string, boolean[]> = {};
    for (const c of Object.keys(p.columns)) {
      const d = input.data(c);
      const m = new Array<boolean>(input.numRows);
      for (let i = 0; i < input.numRows; i++) m[i] = isValid(d, i);
      columns[c + (p.suffix ?? '_present')] = m;
    }
    return { columns };
  },
});

export const maskMissingOp = def;

/**
 * A `<column><suffix>` bool column per modality column: true where the value is present (not null).
 *
 * @example ds.map(maskMissing({ columns: { audio_emb: EMB, image_emb: EMB } }))  // audio_emb_present, image_emb_present
 */
export function maskMissing<const C extends Schema, Sfx extends string = '_present'>(
  p: { readonly columns: C; readonly suffix?: Sfx },
): OpCall<C, { readonly [K in keyof C & string as `${K}${Sfx}`]: Bool }> {
  return def.call(p) as never;
}
