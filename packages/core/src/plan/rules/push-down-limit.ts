// push-down-limit: moves a limit below row-local, non-filtering maps and projections, merges
// adjacent limits, and tells a source it may stop after offset + n rows.
import type { LimitNode, PlanNode } from '../logical-plan.ts';
import { pushDownSource } from '../pushed-source.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { isPureRowLocal, propsOf, sharedNodes, transformUp } from '../rule.ts';

export const pushDownLimit: Rule = {
  name: 'push-down-limit',
  precondition:
    'a limit moves below a map only if the op is rowLocal, deterministic, not filtering, has no sideEffects and no global ' +
    "stats, and the error policy is 'fail' (under skip/quarantine a row the op rejects would let a later row in); " +
    'it always moves below a projection; two limits merge; a limit right above a source caps what the source reads ' +
    "(also only under 'fail', since a source's bad rows count toward its cap); never below a shared node",
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const strict = ctx.onError === 'fail';
    // Returns the limit moved as deep as it goes (or the same node when it cannot move).
    const push = (n: LimitNode): PlanNode => {
      const c = n.input;
      if (shared.has(c)) return n;
      switch (c.kind) {
        case 'limit': {
          // Skip `n.offset` rows of the inner limit's window, then take n.n of what is left.
          const take = Math.max(0, Math.min(n.n, c.n - n.offset));
          notes.push(`merged Limit ${n.n}${n.offset ? ` offset ${n.offset}` : ''} into Limit ${c.n}${c.offset ? ` offset ${c.offset}` : ''}`);
          return push({ ...c, n: take, offset: c.offset + n.offset });
        }
        case 'map': {
          if (!strict || !isPureRowLocal(c.call) || propsOf(c.call).filters) return n;
          notes.push(`Limit ${n.n} below ${c.call.op}`);
          return { ...c, input: push({ ...n, input: c.input }) };
        }
        case 'project':
          notes.push(`Limit ${n.n} below a projection`);
          return { ...c, input: push({ ...n, input: c.input }) };
        case 'source': {
          const cap = n.offset + n.n;
          if (!strict || (c.limit !== undefined && c.limit <= cap)) return n;
          notes.push(`${c.source.name} stops after ${cap} rows`);
          return { ...n, input: pushDownSource(c, { limit: cap }) };
        }
        default:
          return n;
      }
    };
    const out = transformUp(plan, (n) => (n.kind === 'limit' ? push(n) : n), shared);
    return { plan: out, changed: out !== plan, notes };
  },
};
