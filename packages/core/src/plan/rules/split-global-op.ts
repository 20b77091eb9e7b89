// split-global-op: an op that needs dataset-wide statistics (z-score, min-max) becomes a
// statistics stage followed by a row-local stage; the planner decides whether the statistics
// stage keeps its input in memory for the second stage (cache) or the input is computed twice
// (recompute), by comparing estimated costs, and says which in explain().
import type { DType } from '../../types/dtype.ts';
import type { Schema } from '../../types/schema.ts';
import type { GlobalStatsPlan, MapNode, PlanNode } from '../logical-plan.ts';
import { nodeInputs } from '../logical-plan.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { isGlobal, propsOf, sharedNodes, transformUp } from '../rule.ts';

/** µs per row to read a row from a source again (parsing included); a deliberate round figure. */
export const SOURCE_COST_PER_ROW = 1;
/** µs per row to evaluate an expression filter or projection. */
export const EXPR_COST_PER_ROW = 0.05;
/** µs per byte to hold a row in memory between the stages (copy, GC pressure, and the risk of swapping). */
export const CACHE_COST_PER_BYTE = 0.002;

/** Bytes the statistics stage may keep in memory: beyond it, recomputing wins whatever the per-row costs. */
export const CACHE_BUDGET_BYTES = 2 ** 30;

/** Rough in-memory size of one value of a dtype, in bytes. */
export function dtypeBytes(t: DType): number {
  switch (t.kind) {
    case 'bool': case 'int8': case 'uint8': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': case 'uint32': case 'float32': return 4;
    case 'int64': case 'uint64': case 'float64': case 'timestamp': return 8;
    case 'utf8': return 32;
    case 'binary': return 4096;
    case 'tensor': return t.shape.reduce((a, b) => a * b, 1) * dtypeBytes(t.item);
    case 'varTensor': return 16384;
    case 'list': return 8 * dtypeBytes(t.item);
    case 'fixedSizeList': return t.size * dtypeBytes(t.item);
    case 'struct': return Object.values(t.fields).reduce((a, f) => a + dtypeBytes(f), 0);
    default: return 16;
  }
}

export function rowBytes(s: Schema): number {
  return Object.values(s).reduce((a, t) => a + dtypeBytes(t), 0);
}

/** Decide cache vs recompute for the statistics stage over `input`. */
export function planGlobalStats(input: PlanNode, ctx: RuleContext, shared: ReadonlySet<PlanNode>): GlobalStatsPlan {
  // Walk the input's subplan: what would computing it a second time cost, and is it allowed at all?
  let recompute = 0;
  let blocker: string | null = null;
  // Rows the input may hold: the sum of its sources' row counts when every one is known.
  let rows: number | null = 0;
  const seen = new Set<PlanNode>();
  const walk = (n: PlanNode) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (shared.has(n)) { blocker ??= 'its input is shared with another consumer and kept in memory anyway'; return; }
    switch (n.kind) {
      case 'source':
        recompute += SOURCE_COST_PER_ROW;
        rows = rows === null || n.source.rowCount === undefined ? null : rows + n.source.rowCount;
        break;
      case 'map': {
        const p = propsOf(n.call);
        if (!p.deterministic) blocker ??= `${n.call.op} is not deterministic: a second run would see other values`;
        if (p.sideEffects) blocker ??= `${n.call.op} has side effects: they must not happen twice`;
        recompute += p.costPerRow;
        break;
      }
      case 'tableOp': blocker ??= `table op ${n.call.op} declares no properties`; break;
      default: recompute += EXPR_COST_PER_ROW;
    }
    for (const i of nodeInputs(n)) walk(i);
  };
  walk(input);
  const bytes = rowBytes(ctx.schemaOf(input));
  const cache = bytes * CACHE_COST_PER_BYTE;
  const est = `recompute ≈ ${fmt(recompute)} µs/row, cache ≈ ${fmt(cache)} µs/row (${bytes} B/row)`;
  if (blocker) return { mode: 'cache', reason: `cache: ${blocker}` };
  if (rows !== null && rows * bytes > CACHE_BUDGET_BYTES) {
    return { mode: 'recompute', reason: `recompute input: holding ${rows} rows × ${bytes} B would pass the ${CACHE_BUDGET_BYTES / 2 ** 20} MiB cache budget` };
  }
  return recompute < cache ? { mode: 'recompute', reason: `recompute input: ${est}` } : { mode: 'cache', reason: `cache input: ${est}` };
}

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

export const splitGlobalOp: Rule = {
  name: 'split-global-op',
  precondition:
    'applies to maps whose op declares stats (GlobalStats); recompute is chosen only if every op in the input subplan ' +
    'is deterministic and has no sideEffects, no table op or shared node is in it, and re-running it is estimated cheaper ' +
    'than holding its rows in memory (or holding them would pass the cache budget)',
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const out = transformUp(plan, (n) => {
      if (n.kind !== 'map' || !isGlobal(n.call)) return n;
      // Decided again each pass: a later rewrite of the input may change the costs.
      const gs = planGlobalStats(n.input, ctx, shared);
      if (n.globalStats?.mode === gs.mode && n.globalStats.reason === gs.reason) return n;
      notes.push(`${n.call.op}: statistics stage, then row-local stage; ${gs.reason}`);
      return { ...n, globalStats: gs } satisfies MapNode;
    }, shared);
    return { plan: out, changed: out !== plan, notes };
  },
};
