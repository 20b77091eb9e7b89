// Runs a stage's fused steps over one batch. The same code runs on a worker and inline on the
// coordinating thread (workers: 0), so both modes compute the same rows.
import * as arrow from 'apache-arrow';
import type { Chunk } from '../chunk.ts';
import { makeChunk, rowIdsOf, takeChunk } from '../chunk.ts';
import { applyOp, opSeed } from '../apply-op.ts';
import { evalExpr, predicateIndices } from '../eval-expr.ts';
import { buildData } from '../column.ts';
import { opState } from '../executor.ts';
import { resolveOp } from '../../ops/registry.ts';
import type { RowFailure } from '../../plan/logical-plan.ts';
import type { StepSpec, StepStats } from './protocol.ts';

export interface StepsResult {
  readonly chunk: Chunk;
  readonly failures: RowFailure[];
  readonly steps: StepStats[];
}

const never = new AbortController().signal;

/** Apply `steps` in order; a batch emptied by a filter or by bad rows skips the remaining steps. */
export async function runSteps(steps: readonly StepSpec[], chunk: Chunk, seed: number, signal: AbortSignal = never): Promise<StepsResult> {
  const failures: RowFailure[] = [];
  const stats: StepStats[] = [];
  let c = chunk;
  for (const s of steps) {
    if (c.length === 0) break;
    const t0 = performance.now();
    const st: StepStats = { nodeId: s.nodeId, name: s.kind === 'map' ? s.op : s.kind, rowsIn: c.length, rowsOut: 0, timeMs: 0, filtered: 0 };
    if (s.kind === 'map') {
      const def = await resolveOp(s.op, s.module);
      const state = await opState(def, s.params);
      const r = await applyOp(def, s.params, c, s.inputSchema, { state, stats: s.stats, seed: opSeed(seed, s.params), signal });
      for (const f of r.failures) failures.push(f);
      c = r.chunk;
    } else if (s.kind === 'filter') {
      const { values } = evalExpr(s.predicate, c, 'filter');
      const idx = predicateIndices(values);
      const out = idx.length === c.length ? c : takeChunk(c, idx);
      st.filtered = c.length - out.length;
      c = out;
    } else {
      const cols: Record<string, arrow.Data> = {};
      for (const it of s.items) {
        // Plain column references pass through without touching the data.
        if (it.expr.e === 'col') cols[it.name] = c.columns[it.expr.name]!;
        else {
          const { dtype, values } = evalExpr(it.expr, c, 'withColumn');
          cols[it.name] = buildData(dtype, values, it.name);
        }
      }
      c = makeChunk(s.schema, cols, rowIdsOf(c));
    }
    st.rowsOut = c.length;
    st.timeMs = performance.now() - t0;
    stats.push(st);
  }
  return { chunk: c, failures, steps: stats };
}
