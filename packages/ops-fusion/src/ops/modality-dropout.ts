// fusion.modality-dropout: for training, hide whole modalities at random (set them null), seeded
// by (seed, op, row) so the result does not depend on workers or batch size.
import type { OpCall, Schema } from '@modaflow/core';
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { staticWidth } from '../util/parts.ts';

export interface ModalityDropoutParams {
  /** Modality columns and their dtypes. */
  readonly columns: Schema;
  /** Probability of dropping each modality of a row. */
  readonly p: number;
  /** Never drop every modality of a row: one dropped at random is restored (default true). */
  readonly keepOne?: boolean;
  readonly seed?: number;
}

const OP = 'fusion.modality-dropout';

const def = defineOp<ModalityDropoutParams>({
  name: OP,
  module: import.meta.url,
  description: 'set whole modalities to null at random (seeded per row)',
  inputs: (p) => p.columns,
  outputs: (p) => p.columns,
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // per column ~0.3 plus ~0.005 per value (the row's generator, JS values in and out): 2 float64
  // columns 0.60–0.68, 2 float32[128] columns 1.7. A variable-shape column counts as 256 values.
  // Was 0.02.
  properties: (p) => ({ costPerRow: Number((Object.values(p.columns ?? {}).reduce((a, t) => a + 0.3 + 0.005 * Math.max(1, staticWidth(t) ?? 256), 0)).toPrecision(2)) }),
  validate(p) {
    if (!(p.p >= 0 && p.p <= 1)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `p must be in [0, 1], got ${p.p}`, { op: OP, fix: 'p: 0.2' });
    if (!p.columns || Object.keys(p.columns).length === 0) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'modalityDropout needs at least one column', { op: OP, fix: 'columns: { image_emb: EMB, audio_emb: EMB }' });
  },
  kernel(input, p, ctx) {
    const names = Object.keys(p.columns);
    const cols = names.map((c) => input.values(c).slice());
    for (let i = 0; i < input.numRows; i++) {
      const rng = ctx.random(i);
      const dropped: number[] = [];
      let present = 0;
      names.forEach((_, k) => {
        if (cols[k]![i] === null) return;
        present++;
        if (rng.bernoulli(p.p)) dropped.push(k);
      });
      if ((p.keepOne ?? true) && present > 0 && dropped.length === present) dropped.splice(rng.int(0, dropped.length - 1), 1);
      for (const k of dropped) cols[k]![i] = null;
    }
    return { columns: Object.fromEntries(names.map((c, k) => [c, cols[k]!])) };
  },
});

export const modalityDropoutOp = def;

/**
 * Drop each modality of a row with probability p (set to null), for training robustness to missing
 * modalities. With keepOne (default) a row keeps at least one of the modalities it had.
 *
 * @example ds.map(modalityDropout({ columns: { img: EMB, aud: EMB }, p: 0.3, seed: 1 }))
 */
export function modalityDropout<const C extends Schema>(p: ModalityDropoutParams & { readonly columns: C }): OpCall<C, C> {
  return def.call(p) as never;
}
