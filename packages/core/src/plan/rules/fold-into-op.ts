// fold-into-op: an op that declares `absorb` takes the op that directly follows it into itself
// (decode + resize becomes a shrink-on-load decode); the rule is generic, the op decides.
import type { MapNode, PlanNode } from '../logical-plan.ts';
import { getOp } from '../../ops/registry.ts';
import type { Rule, RuleResult } from '../rule.ts';
import { sharedNodes, transformUp } from '../rule.ts';

export const foldIntoOp: Rule = {
  name: 'fold-into-op',
  precondition:
    'a map folds into the map right below it only if the lower op declares absorb() and accepts this call (the op vouches ' +
    'that the one call computes what the two did), and the lower node has no other consumer',
  rewrite(plan: PlanNode): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const out = transformUp(plan, (n) => {
      if (n.kind !== 'map' || n.input.kind !== 'map' || shared.has(n.input)) return n;
      const below = n.input;
      const absorb = getOp(below.call.op)?.spec.absorb;
      const call = absorb?.(below.call.params, n.call);
      if (!call) return n;
      notes.push(`${below.call.op} absorbed ${n.call.op}`);
      return { kind: 'map', id: n.id, input: below.input, call } satisfies MapNode;
    }, shared);
    return { plan: out, changed: out !== plan, notes };
  },
};
