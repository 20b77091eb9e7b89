// reorder-filters: in a run of adjacent filters (expression filters and filtering ops), the ones
// that are cheap and drop many rows run first: ascending cost / (1 - selectivity).
import type { ExprNode } from '../../graph/expr.ts';
import { exprColumns } from '../../graph/expr.ts';
import type { FilterNode, MapNode, PlanNode } from '../logical-plan.ts';
import { nodeInputs, withInputs } from '../logical-plan.ts';
import { nodeLabel } from '../display.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { isFilteringOp, mapColumns, propsOf, sharedNodes } from '../rule.ts';

type Step = FilterNode | MapNode;

/** Estimated µs per row to evaluate an expression: vectorized, a few hundredths per node. */
const EXPR_COST_PER_NODE = 0.02;

function exprSize(e: ExprNode): number {
  switch (e.e) {
    case 'col': case 'lit': return 1;
    case 'cmp': case 'arith': return 1 + exprSize(e.left) + exprSize(e.right);
    case 'and': case 'or': return 1 + e.args.reduce((a, x) => a + exprSize(x), 0);
    case 'not': case 'isNull': case 'isIn': case 'cast': return 1 + exprSize(e.arg);
  }
}

/** Textbook guesses (equality is selective, inequality is not), used when nothing was observed. */
export function guessSelectivity(e: ExprNode): number {
  switch (e.e) {
    case 'cmp': return e.op === 'eq' ? 0.1 : e.op === 'ne' ? 0.9 : 0.33;
    case 'isIn': return Math.min(0.9, 0.1 * Math.max(1, e.values.length));
    case 'isNull': return e.negate ? 0.9 : 0.1;
    case 'not': return 1 - guessSelectivity(e.arg);
    case 'and': return e.args.reduce((a, x) => a * guessSelectivity(x), 1);
    case 'or': return 1 - e.args.reduce((a, x) => a * (1 - guessSelectivity(x)), 1);
    default: return 0.5;
  }
}

export const reorderFilters: Rule = {
  name: 'reorder-filters',
  precondition:
    'reorders expression filters and filtering maps that are rowLocal, deterministic and have no sideEffects or global ' +
    'stats; a step that reads a column another step writes stays after it, and maps that write columns keep their ' +
    'relative order (it fixes the output column order)',
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const memo = new Map<PlanNode, PlanNode>();
    const isStep = (n: PlanNode): n is Step => n.kind === 'filter' || (n.kind === 'map' && isFilteringOp(n.call));
    const rank = (s: Step): number => {
      const observed = ctx.selectivity?.get(nodeLabel(s));
      const cost = s.kind === 'filter' ? EXPR_COST_PER_NODE * exprSize(s.predicate) : propsOf(s.call).costPerRow;
      const sel = observed ?? (s.kind === 'filter' ? guessSelectivity(s.predicate) : propsOf(s.call).selectivity ?? 0.5);
      return sel >= 1 ? Infinity : cost / (1 - sel);
    };
    const cols = (s: Step) => (s.kind === 'filter' ? { reads: exprColumns(s.predicate), writes: new Set<string>() } : mapColumns(s, ctx));

    const visit = (n: PlanNode): PlanNode => {
      const hit = memo.get(n);
      if (hit) return hit;
      let out: PlanNode;
      if (isStep(n)) {
        const chain: Step[] = [n]; // top first
        for (let c = n.input; isStep(c) && !shared.has(c); c = c.input) chain.push(c);
        const base = chain.at(-1)!.input;
        const newBase = visit(base);
        const exec = [...chain].reverse(); // execution order: bottom first
        const info = exec.map((s) => ({ s, ...cols(s), rank: rank(s) }));
        // before[j]: the steps that must run before step j.
        const before = info.map((b, j) => new Set(info.slice(0, j).flatMap((a, i) => {
          const dep = [...b.reads].some((k) => a.writes.has(k)) || [...a.reads].some((k) => b.writes.has(k)) || (a.writes.size > 0 && b.writes.size > 0);
          return dep ? [i] : [];
        })));
        const order: number[] = [];
        const done = new Set<number>();
        while (order.length < info.length) {
          let best = -1;
          for (let j = 0; j < info.length; j++) {
            if (done.has(j) || [...before[j]!].some((i) => !done.has(i))) continue;
            if (best < 0 || info[j]!.rank < info[best]!.rank) best = j;
          }
          order.push(best);
          done.add(best);
        }
        const moved = order.some((j, i) => j !== i);
        if (!moved && newBase === base) out = n;
        else {
          out = newBase;
          for (const j of order) out = { ...exec[j]!, input: out };
          if (moved) notes.push(`ran ${order.map((j) => nodeLabel(exec[j]!)).join(' → ')}`);
        }
        for (const s of chain.slice(1)) memo.set(s, out);
      } else {
        const ins = nodeInputs(n);
        const next = ins.map(visit);
        out = withInputs(n, next);
      }
      memo.set(n, out);
      if (shared.has(n)) shared.add(out);
      return out;
    };
    const out = visit(plan);
    return { plan: out, changed: out !== plan, notes };
  },
};
