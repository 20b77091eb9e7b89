// Plan text for explain(): an indented tree, one node per line, inputs below their consumer. A node
// with several consumers is printed once and referred to as `@<id>` afterwards.
import type { Schema } from '../types/schema.ts';
import { schemaToString } from '../types/schema.ts';
import type { PlanNode } from './logical-plan.ts';
import { consumerCounts, nodeInputs } from './logical-plan.ts';
import { exprToString } from '../graph/expr.ts';
import type { NodeStats } from '../exec/report.ts';

function paramsToString(p: unknown): string {
  if (p === null || p === undefined || typeof p !== 'object') return p === undefined ? '' : JSON.stringify(p);
  return Object.entries(p as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? `'${v}'` : ArrayBuffer.isView(v) ? `<${v.constructor.name}>` : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}` : x))}`)
    .join(', ');
}

/** One-line description of a node (without its inputs). */
export function nodeLabel(n: PlanNode): string {
  switch (n.kind) {
    case 'source': return `${n.source.name} ${n.source.describe()}`;
    case 'map': return `Map ${n.call.op}(${paramsToString(n.call.params)})`;
    case 'filter': return `Filter ${exprToString(n.predicate)}`;
    case 'project': {
      if (n.rest) {
        const parts: string[] = ['*'];
        if (n.rest.exclude.length) parts.push(`EXCEPT ${n.rest.exclude.join(', ')}`);
        const ren = Object.entries(n.rest.rename);
        if (ren.length) parts.push(`RENAME ${ren.map(([a, b]) => `${a} AS ${b}`).join(', ')}`);
        for (const it of n.items) parts.push(`${it.name} := ${exprToString(it.expr)}`);
        return `Project [${parts.join(', ')}]`;
      }
      const items = n.items.map((it) => (it.expr.e === 'col' ? (it.expr.name === it.name ? it.name : `${it.name} := ${it.expr.name}`) : `${it.name} := ${exprToString(it.expr)}`));
      return `Project [${items.join(', ')}]`;
    }
    case 'limit': return `Limit ${n.n}${n.offset ? ` offset ${n.offset}` : ''}`;
    case 'join': return `Join ${n.how} on [${n.on.join(', ')}]`;
    case 'union': return `Union (${n.inputs.length} inputs)`;
    case 'zip': return 'Zip';
    case 'tableOp': return `TableOp ${n.call.op}(${paramsToString(n.call.params)})`;
  }
}

export interface DisplayOptions {
  readonly stats?: ReadonlyMap<number, NodeStats>;
  readonly schemas?: ReadonlyMap<PlanNode, Schema>;
  /** Extra text per node (e.g. the stage a node runs in). */
  readonly annotate?: (n: PlanNode) => string | undefined;
}

export function displayPlan(root: PlanNode, opts: DisplayOptions = {}): string {
  const lines: string[] = [];
  const shared = consumerCounts(root);
  const printed = new Set<PlanNode>();
  const visit = (n: PlanNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const isShared = (shared.get(n) ?? 0) > 1;
    if (printed.has(n)) {
      lines.push(`${pad}@${n.id} (shared, computed once)`);
      return;
    }
    printed.add(n);
    let line = `${pad}${nodeLabel(n)}${isShared ? `  @${n.id}` : ''}`;
    const st = opts.stats?.get(n.id);
    if (st) line += `  [rows ${st.rowsIn} → ${st.rowsOut}, ${st.timeMs.toFixed(1)} ms]`;
    const extra = opts.annotate?.(n);
    if (extra) line += `  ${extra}`;
    lines.push(line);
    for (const i of nodeInputs(n)) visit(i, depth + 1);
  };
  visit(root, 0);
  const s = opts.schemas?.get(root);
  if (s) lines.push(`Output schema: {${schemaToString(s)}}`);
  return lines.join('\n');
}
