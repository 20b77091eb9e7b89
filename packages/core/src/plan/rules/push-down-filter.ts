// push-down-filter: moves filter conjuncts below maps, projections, joins and unions that do not
// produce the columns they read, so rows are dropped before expensive work (a label filter runs
// before image decode).
import type { ExprNode } from '../../graph/expr.ts';
import { exprColumns, exprToString, joinConjunction, splitConjunction } from '../../graph/expr.ts';
import type { FilterNode, MapNode, PlanNode } from '../logical-plan.ts';
import { expandProject, newNodeId, nodeInputs, withInputs } from '../logical-plan.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { isFilteringOp, isPureRowLocal, mapColumns, sharedNodes } from '../rule.ts';

/** Rename the columns of a predicate (through a projection of plain column references). */
function renameColumns(e: ExprNode, to: ReadonlyMap<string, string>): ExprNode {
  switch (e.e) {
    case 'col': return { e: 'col', name: to.get(e.name) ?? e.name };
    case 'lit': return e;
    case 'cmp': case 'arith': return { ...e, left: renameColumns(e.left, to), right: renameColumns(e.right, to) };
    case 'and': case 'or': return { ...e, args: e.args.map((a) => renameColumns(a, to)) };
    case 'not': case 'isNull': case 'isIn': case 'cast': return { ...e, arg: renameColumns(e.arg, to) };
  }
}

function filterOver(conds: readonly ExprNode[], input: PlanNode): PlanNode {
  let n = input;
  // conds[0] ends up on top.
  for (let i = conds.length - 1; i >= 0; i--) n = { kind: 'filter', id: newNodeId(), input: n, predicate: conds[i]! } satisfies FilterNode;
  return n;
}

const reads = (p: ExprNode) => [...exprColumns(p)];

export const pushDownFilter: Rule = {
  name: 'push-down-filter',
  precondition:
    'a conjunct moves below a map only if the op is rowLocal, deterministic, has no sideEffects and no global stats, ' +
    'and neither writes nor removes a column the conjunct reads; below a projection only through plain column references; ' +
    'into the side of a join that has all its columns (the right side only for inner joins); into every input of a union; ' +
    'never below a limit, zip, table op or a node with several consumers. Among filters and filtering ops it does not ' +
    'reorder on its own (reorder-filters does); conjuncts cross them only on their way below a non-filter node',
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const memo = new Map<PlanNode, PlanNode>();
    const isStep = (n: PlanNode): n is FilterNode | MapNode => n.kind === 'filter' || (n.kind === 'map' && isFilteringOp(n.call));

    // conds passed a non-filter node above n: push them as deep as they go, through filter steps.
    const pushDown = (conds: ExprNode[], n: PlanNode): PlanNode => {
      if (isStep(n) && !shared.has(n)) {
        if (n.kind === 'filter') return { ...n, input: pushDown(conds, n.input) };
        const { writes } = mapColumns(n, ctx);
        const pass = conds.filter((p) => !reads(p).some((k) => writes.has(k)));
        const stay = conds.filter((p) => !pass.includes(p));
        return filterOver(stay, { ...n, input: pushDown(pass, n.input) });
      }
      const r = pushInto(conds, n);
      return filterOver(r.stay, r.below);
    };

    // Move what can pass the non-filter node c below it; `stay` are the conds (same objects) that cannot.
    const pushInto = (conds: ExprNode[], c: PlanNode): { below: PlanNode; stay: ExprNode[] } => {
      const none = { below: c, stay: conds };
      if (shared.has(c) || conds.length === 0) return none;
      switch (c.kind) {
        case 'map': {
          if (!isPureRowLocal(c.call)) return none;
          const { writes } = mapColumns(c, ctx);
          const pass = conds.filter((p) => !reads(p).some((k) => writes.has(k)));
          if (pass.length === 0) return none;
          notes.push(`${pass.map(exprToString).join(', ')} below ${c.call.op}`);
          return { below: { ...c, input: pushDown(pass, c.input) }, stay: conds.filter((p) => !pass.includes(p)) };
        }
        case 'project': {
          const items = expandProject(c, ctx.schemaOf(c.input));
          const refs = new Map<string, string>();
          for (const it of items) if (it.expr.e === 'col') refs.set(it.name, it.expr.name);
          const pass = conds.filter((p) => reads(p).every((k) => refs.has(k)));
          if (pass.length === 0) return none;
          notes.push(`${pass.map(exprToString).join(', ')} below a projection`);
          return { below: { ...c, input: pushDown(pass.map((p) => renameColumns(p, refs)), c.input) }, stay: conds.filter((p) => !pass.includes(p)) };
        }
        case 'join': {
          const ls = ctx.schemaOf(c.left), rs = ctx.schemaOf(c.right);
          const left = conds.filter((p) => reads(p).every((k) => k in ls));
          // A left join keeps unmatched left rows with nulls on the right: filtering the right
          // side first would turn "no match" into "kept with nulls", so only inner joins.
          const right = c.how === 'inner' ? conds.filter((p) => !left.includes(p) && reads(p).every((k) => k in rs)) : [];
          if (left.length + right.length === 0) return none;
          notes.push(`${[...left, ...right].map(exprToString).join(', ')} into the join inputs`);
          return {
            below: { ...c, left: left.length ? pushDown(left, c.left) : c.left, right: right.length ? pushDown(right, c.right) : c.right },
            stay: conds.filter((p) => !left.includes(p) && !right.includes(p)),
          };
        }
        case 'union':
          notes.push(`${conds.map(exprToString).join(', ')} into every union input`);
          return { below: { ...c, inputs: c.inputs.map((i) => pushDown(conds, i)) }, stay: [] };
        default:
          return none;
      }
    };

    const visit = (n: PlanNode): PlanNode => {
      const hit = memo.get(n);
      if (hit) return hit;
      let out: PlanNode;
      if (isStep(n)) {
        // A run of adjacent filter steps (it stops at a shared node); conjuncts of its filters may
        // leave it downwards unless a filtering op below them in the run writes what they read.
        const run: (FilterNode | MapNode)[] = [n];
        for (let c = n.input; isStep(c) && !shared.has(c); c = c.input) run.push(c);
        const base = run.at(-1)!.input;
        const newBase = visit(base);
        const parts = new Map<FilterNode, ExprNode[]>();
        const candidates: ExprNode[] = [];
        run.forEach((f, i) => {
          if (f.kind !== 'filter') return;
          const ps = splitConjunction(f.predicate);
          parts.set(f, ps);
          const blocked = new Set(run.slice(i + 1).flatMap((m) => (m.kind === 'map' ? [...mapColumns(m, ctx).writes] : [])));
          for (const p of ps) if (!reads(p).some((k) => blocked.has(k))) candidates.push(p);
        });
        const r = pushInto(candidates, newBase);
        const moved = new Set(candidates.filter((p) => !r.stay.includes(p)));
        if (moved.size === 0 && newBase === base) out = n;
        else {
          out = r.below;
          for (let i = run.length - 1; i >= 0; i--) {
            const f = run[i]!;
            if (f.kind === 'map') { out = { ...f, input: out }; continue; }
            const left = parts.get(f)!.filter((p) => !moved.has(p));
            if (left.length === 0) continue;
            out = { ...f, input: out, predicate: left.length === parts.get(f)!.length ? f.predicate : joinConjunction(left) };
          }
        }
        for (const f of run.slice(1)) memo.set(f, out); // inner run nodes have this single consumer
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
