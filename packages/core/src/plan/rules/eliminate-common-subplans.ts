// eliminate-common-subplans: nodes that compute the same thing — same op with the same params (or
// the same filter, projection, limit, join) over the same input — become one node, run once.
import type { PlanNode, Source } from '../logical-plan.ts';
import { nodeInputs, withInputs } from '../logical-plan.ts';
import type { Rule, RuleResult } from '../rule.ts';
import { propsOf } from '../rule.ts';
import { baseSource } from '../pushed-source.ts';

/** JSON with a stable key order; bigints and typed arrays get distinct, unambiguous forms. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return { $bigint: `${x}` };
    if (ArrayBuffer.isView(x)) return { $typed: x.constructor.name, v: Array.from(x as unknown as ArrayLike<number>) };
    if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]]));
    return x;
  });
}

export const eliminateCommonSubplans: Rule = {
  name: 'eliminate-common-subplans',
  precondition:
    'two maps merge only if the op is deterministic and has no sideEffects (otherwise two uses are two different ' +
    'computations); filters, projections, limits, joins, unions and zips merge when their inputs merged; sources merge ' +
    'when they are the same source object read the same way; table ops never merge (they declare no properties)',
  rewrite(plan: PlanNode): RuleResult {
    const notes: string[] = [];
    const sourceIds = new Map<Source, number>();
    const keys = new Map<PlanNode, string>();
    const byKey = new Map<string, PlanNode>();
    const memo = new Map<PlanNode, PlanNode>();
    let unique = 0;
    const keyOf = (n: PlanNode, ins: readonly string[]): string => {
      const i = ins.join(',');
      switch (n.kind) {
        case 'source': {
          const src = baseSource(n.source);
          let sid = sourceIds.get(src);
          if (sid === undefined) sourceIds.set(src, (sid = sourceIds.size));
          return `source#${sid}|${canonical(n.columns ?? null)}|${n.limit ?? ''}`;
        }
        case 'map': {
          const p = propsOf(n.call);
          if (!p.deterministic || p.sideEffects) return `unique#${unique++}`;
          return `map|${n.call.op}|${canonical(n.call.params)}|${canonical(n.globalStats?.mode ?? null)}|${i}`;
        }
        case 'filter': return `filter|${canonical(n.predicate)}|${i}`;
        case 'project': return `project|${canonical(n.items)}|${canonical(n.rest ?? null)}|${i}`;
        case 'limit': return `limit|${n.n}|${n.offset}|${i}`;
        case 'join': return `join|${n.how}|${canonical(n.on)}|${i}`;
        case 'union': return `union|${i}`;
        case 'zip': return `zip|${i}`;
        case 'tableOp': return `unique#${unique++}`;
      }
    };
    let merged = 0;
    const visit = (n: PlanNode): PlanNode => {
      const hit = memo.get(n);
      if (hit) return hit;
      const ins = nodeInputs(n);
      const next = ins.map(visit);
      const k = keyOf(n, next.map((x) => keys.get(x)!));
      let out = byKey.get(k);
      if (out) {
        merged++;
        notes.push(`node ${n.id} is the same as node ${out.id}: computed once`);
      } else {
        out = withInputs(n, next);
        byKey.set(k, out);
        keys.set(out, k);
      }
      memo.set(n, out);
      return out;
    };
    const out = visit(plan);
    return { plan: out, changed: merged > 0, notes };
  },
};
