// prune-columns: columns nobody downstream reads are never produced — sources read only the
// columns needed (CSV fields are not parsed), projections lose unused items, and a map whose
// outputs are all unused is dropped when that cannot change the result.
import { exprColumns } from '../../graph/expr.ts';
import type { PlanNode, ProjectNode } from '../logical-plan.ts';
import { pushDownSource } from '../pushed-source.ts';
import { expandProject, nodeInputs, topoOrder, withInputs } from '../logical-plan.ts';
import type { Rule, RuleContext, RuleResult } from '../rule.ts';
import { mapColumns, propsOf } from '../rule.ts';
import { getOp } from '../../ops/registry.ts';

export const pruneColumns: Rule = {
  name: 'prune-columns',
  precondition:
    'a map whose outputs nobody reads is dropped only if it writes some column, has no sideEffects, does not filter, removes no column, and ' +
    "the error policy is 'fail' (under skip/quarantine the rows it rejects would come back); ops are trusted to read only " +
    'the inputs they declare; zip, union and table-op inputs keep all their columns',
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult {
    const notes: string[] = [];
    const req = new Map<PlanNode, Set<string>>();
    const need = (n: PlanNode, cols: Iterable<string>) => {
      let s = req.get(n);
      if (!s) req.set(n, (s = new Set()));
      for (const c of cols) s.add(c);
    };
    const droppable = (n: PlanNode): boolean => {
      if (n.kind !== 'map' || ctx.onError !== 'fail') return false;
      const p = propsOf(n.call);
      if (p.sideEffects || p.filters || (getOp(n.call.op)?.spec.removes?.(n.call.params) ?? []).length > 0) return false;
      const r = req.get(n) ?? new Set();
      const { writes } = mapColumns(n, ctx);
      // An op that writes nothing and keeps every row exists for its checks (its row errors): keep it.
      return writes.size > 0 && ![...writes].some((k) => r.has(k));
    };
    // A projection keeps at least one item: a batch without columns would lose its row count.
    const keptItems = (n: ProjectNode, r: ReadonlySet<string>) => {
      const items = expandProject(n, ctx.schemaOf(n.input));
      const kept = items.filter((it) => r.has(it.name));
      return kept.length ? kept : items.slice(0, 1);
    };

    need(plan, Object.keys(ctx.schemaOf(plan)));
    // Consumers before inputs, so a shared node has every consumer's needs before it passes them on.
    for (const n of topoOrder(plan).reverse()) {
      const r = req.get(n) ?? new Set<string>();
      switch (n.kind) {
        case 'source': break;
        case 'map': {
          if (droppable(n)) { need(n.input, r); break; }
          const { reads, writes } = mapColumns(n, ctx);
          need(n.input, [...[...r].filter((k) => !writes.has(k)), ...reads]);
          break;
        }
        case 'filter': need(n.input, [...r, ...exprColumns(n.predicate)]); break;
        case 'project': {
          const kept = keptItems(n, r);
          for (const it of kept) need(n.input, exprColumns(it.expr));
          need(n.input, []);
          // With `rest`, an item named like an input column replaces it in place: that input
          // column fixes the item's position, so it must still exist.
          if (n.rest) {
            const names = new Set(kept.map((it) => it.name));
            for (const k of Object.keys(ctx.schemaOf(n.input))) if (!n.rest.exclude.includes(k) && names.has(n.rest.rename[k] ?? k)) need(n.input, [k]);
          }
          break;
        }
        case 'limit': need(n.input, r); break;
        case 'join': {
          const ls = ctx.schemaOf(n.left), rs = ctx.schemaOf(n.right);
          need(n.left, [...[...r].filter((k) => k in ls), ...n.on]);
          need(n.right, [...[...r].filter((k) => k in rs), ...n.on]);
          break;
        }
        case 'union': case 'zip': case 'tableOp':
          for (const i of nodeInputs(n)) need(i, Object.keys(ctx.schemaOf(i)));
          break;
      }
    }

    const memo = new Map<PlanNode, PlanNode>();
    const visit = (n: PlanNode): PlanNode => {
      const hit = memo.get(n);
      if (hit) return hit;
      const r = req.get(n) ?? new Set<string>();
      const ins = nodeInputs(n);
      const next = ins.map(visit);
      let out: PlanNode = withInputs(n, next);
      if (n.kind === 'source') {
        const have = Object.keys(ctx.schemaOf(n));
        let keep = have.filter((k) => r.has(k));
        // A source keeps one column even when none is read: its chunks still carry the row count.
        if (keep.length === 0) keep = have.slice(0, 1);
        if (keep.length < have.length) {
          notes.push(`${n.source.name} reads only ${keep.join(', ')}`);
          out = pushDownSource(n, { columns: keep });
        }
      } else if (n.kind === 'map' && droppable(n)) {
        notes.push(`dropped ${n.call.op}: its outputs are unused`);
        out = next[0]!;
      } else if (n.kind === 'project') {
        const items = expandProject(n, ctx.schemaOf(n.input));
        const kept = keptItems(n, r);
        // A `rest` projection names input columns (exclude, rename) that pruning below may have
        // removed: once its input changed, it is spelled out as explicit items.
        if (kept.length < items.length || (n.rest && next[0] !== ins[0])) {
          if (kept.length < items.length) notes.push(`projection no longer computes ${items.filter((it) => !kept.some((k) => k.name === it.name)).map((it) => it.name).join(', ')}`);
          out = { kind: 'project', id: n.id, input: next[0]!, items: kept } satisfies ProjectNode;
        }
      }
      memo.set(n, out);
      return out;
    };
    const out = visit(plan);
    return { plan: out, changed: out !== plan, notes };
  },
};
