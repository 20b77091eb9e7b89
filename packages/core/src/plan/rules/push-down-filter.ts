// push-down-filter: moves filter conjuncts below maps, projections, joins and unions that do not
// produce the columns they read, so rows are dropped before expensive work (a label filter runs
// before image decode).
import type { ExprNode } from '../../graph/expr.ts';
import { exprColumns, exprToString, splitConjunction } from '../../graph/expr.ts';
import type { FilterNode, PlanNode } from '../logical-plan.ts';
import { expandProject, newNodeId, nodeInputs, withInputs } from '../logical-plan.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { isPureRowLocal, mapColumns, sharedNodes } from '../rule.ts';

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
  // conds[0] ends up on top, as it was in the run.
  for (let i = conds.length - 1; i >= 0; i--) n = { kind: 'filter', id: newNodeId(), input: n, predicate: conds[i]! } satisfies FilterNode;
  return n;
}

export const pushDownFilter: Rule = {
  name: 'push-down-filter',
  precondition:
    'a conjunct moves below a map only if the op is rowLocal, deterministic, has no sideEffects and no global stats, ' +
    'and neither writes nor removes a column the conjunct reads; below a projection only through plain column references; ' +
    'into the side of a join that has all its columns (the right side only for inner joins); into every input of a union; ' +
    'never below a limit, zip, table op or a node with several consumers',
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const shared = sharedNodes(plan);
    const notes: string[] = [];
    const memo = new Map<PlanNode, PlanNode>();

    // Push conds (which already passed a non-filter node above n) as deep as they can go.
    const pushDown = (conds: ExprNode[], n: PlanNode): PlanNode => {
      if (n.kind === 'filter' && !shared.has(n)) return { ...n, input: pushDown(conds, n.input) };
      return pushInto(conds, n).node;
    };

    // Try to move conds below the (already rewritten, non-filter) node c.
    const pushInto = (conds: ExprNode[], c: PlanNode): { node: PlanNode; moved: boolean } => {
      const stay: ExprNode[] = [];
      if (shared.has(c)) return { node: filterOver(conds, c), moved: false };
      switch (c.kind) {
        case 'map': {
          if (!isPureRowLocal(c.call)) return { node: filterOver(conds, c), moved: false };
          const { writes } = mapColumns(c, ctx);
          const pass: ExprNode[] = [];
          for (const p of conds) ([...exprColumns(p)].some((k) => writes.has(k)) ? stay : pass).push(p);
          if (pass.length === 0) return { node: filterOver(conds, c), moved: false };
          notes.push(`${pass.map(exprToString).join(', ')} below ${c.call.op}`);
          return { node: filterOver(stay, { ...c, input: pushDown(pass, c.input) }), moved: true };
        }
        case 'project': {
          const items = expandProject(c, ctx.schemaOf(c.input));
          const refs = new Map<string, string>();
          for (const it of items) if (it.expr.e === 'col') refs.set(it.name, it.expr.name);
          const pass: ExprNode[] = [];
          for (const p of conds) {
            if ([...exprColumns(p)].every((k) => refs.has(k))) pass.push(renameColumns(p, refs));
            else stay.push(p);
          }
          if (pass.length === 0) return { node: filterOver(conds, c), moved: false };
          notes.push(`${pass.map(exprToString).join(', ')} below a projection`);
          return { node: filterOver(stay, { ...c, input: pushDown(pass, c.input) }), moved: true };
        }
        case 'join': {
          const ls = ctx.schemaOf(c.left), rs = ctx.schemaOf(c.right);
          const left: ExprNode[] = [], right: ExprNode[] = [];
          for (const p of conds) {
            const cols = [...exprColumns(p)];
            if (cols.every((k) => k in ls)) left.push(p);
            // A left join keeps unmatched left rows with nulls on the right: filtering the right
            // side first would turn "no match" into "kept with nulls", so only inner joins.
            else if (c.how === 'inner' && cols.every((k) => k in rs)) right.push(p);
            else stay.push(p);
          }
          if (left.length + right.length === 0) return { node: filterOver(conds, c), moved: false };
          notes.push(`${[...left, ...right].map(exprToString).join(', ')} into the join inputs`);
          const l = left.length ? pushDown(left, c.left) : c.left;
          const r = right.length ? pushDown(right, c.right) : c.right;
          return { node: filterOver(stay, { ...c, left: l, right: r }), moved: true };
        }
        case 'union': {
          notes.push(`${conds.map(exprToString).join(', ')} into every union input`);
          return { node: { ...c, inputs: c.inputs.map((i) => pushDown(conds, i)) }, moved: true };
        }
        default:
          return { node: filterOver(conds, c), moved: false };
      }
    };

    const visit = (n: PlanNode): PlanNode => {
      const hit = memo.get(n);
      if (hit) return hit;
      let out: PlanNode;
      if (n.kind === 'filter') {
        // A run of adjacent filters is moved as a set of conjuncts; it stops at a shared filter.
        const run: FilterNode[] = [n];
        while (run.at(-1)!.input.kind === 'filter' && !shared.has(run.at(-1)!.input)) run.push(run.at(-1)!.input as FilterNode);
        const base = run.at(-1)!.input;
        const newBase = visit(base);
        const conds = run.flatMap((f) => splitConjunction(f.predicate));
        const r = pushInto(conds, newBase);
        if (r.moved) out = r.node;
        else if (newBase === base) out = n;
        else {
          // Nothing moved here, but something moved below: keep the run as the user wrote it.
          out = newBase;
          for (let i = run.length - 1; i >= 0; i--) out = { ...run[i]!, input: out };
        }
        for (const f of run.slice(1)) memo.set(f, out); // inner run nodes have this single consumer
      } else {
        const ins = nodeInputs(n);
        const next = ins.map(visit);
        out = next.every((x, i) => x === ins[i]) ? n : withInputs(n, next);
      }
      memo.set(n, out);
      if (shared.has(n)) shared.add(out);
      return out;
    };
    const out = visit(plan);
    return { plan: out, changed: out !== plan, notes };
  },
};
