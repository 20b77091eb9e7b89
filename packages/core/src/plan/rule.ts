// What an optimizer rule is — a name, a precondition stated in terms of op properties, and a
// rewrite that reports whether it changed anything — plus the helpers rules share: schemas of
// rewritten nodes, op facts, and a DAG rebuild that keeps shared nodes shared.
import type { Schema } from '../types/schema.ts';
import type { OpCall, OpProperties } from '../ops/define-op.ts';
import { DEFAULT_PROPERTIES } from '../ops/define-op.ts';
import { getOp } from '../ops/registry.ts';
import type { ErrorPolicy } from '../exec/report.ts';
import type { MapNode, PlanNode, SourceNode } from './logical-plan.ts';
import { consumerCounts, deriveSchema, nodeInputs, opColumns, sourceNodeSchema, withInputs } from './logical-plan.ts';
import { SchemaError } from '../errors.ts';
import { baseSource } from './pushed-source.ts';

/** What a rewrite returns: the new root, and whether anything changed (false ⇒ same root object). */
export interface RuleResult {
  readonly plan: PlanNode;
  readonly changed: boolean;
  /** Human-readable notes for explain(): what moved where, and why. */
  readonly notes?: readonly string[];
}

/** Everything a rule may consult besides the plan. */
export interface RuleContext {
  /** The schema a node produces (derived on demand for nodes the rules create). */
  schemaOf(n: PlanNode): Schema;
  /** The run's error policy: rules that would change which rows come out under skip/quarantine check it. */
  readonly onError: ErrorPolicy;
  /** Observed selectivity (rows out / rows in) of filters, keyed by the node's label (display.ts). */
  readonly selectivity?: ReadonlyMap<string, number>;
}

/** An optimizer rule. File, constant and name match: prune-columns.ts ↔ pruneColumns ↔ 'prune-columns'. */
export interface Rule {
  readonly name: string;
  /** When the rule may fire, in terms of op properties (rowLocal, deterministic, filters, sideEffects, …). */
  readonly precondition: string;
  rewrite(plan: PlanNode, ctx: RuleContext): RuleResult;
}

/**
 * Schemas of plan nodes, derived from the sources' full schemas. Nodes are immutable, so a
 * WeakMap by identity is a sound cache across rules.
 */
export class PlanSchemas {
  private readonly cache = new WeakMap<PlanNode, Schema>();
  private readonly sources: ReadonlyMap<SourceNode['source'], Schema>;

  constructor(sources: ReadonlyMap<SourceNode['source'], Schema>) {
    this.sources = sources;
  }

  /** From a resolved plan (resolveSchemas): the full schema of every source it reads. */
  static fromResolved(resolved: ReadonlyMap<PlanNode, Schema>): PlanSchemas {
    const m = new Map<SourceNode['source'], Schema>();
    for (const [n] of resolved) {
      if (n.kind !== 'source') continue;
      const full = n.source.knownSchema;
      // Without a known schema, the resolved one is the full schema only when nothing was pushed down.
      if (full) m.set(baseSource(n.source), full);
      else if (!n.columns) m.set(baseSource(n.source), resolved.get(n)!);
    }
    return new PlanSchemas(m);
  }

  of(n: PlanNode): Schema {
    const hit = this.cache.get(n);
    if (hit) return hit;
    let s: Schema;
    if (n.kind === 'source') {
      const full = this.sources.get(baseSource(n.source)) ?? n.source.knownSchema;
      if (!full) throw new SchemaError('MF_SCHEMA', `schema of ${n.source.name} is not resolved`, { op: n.source.name });
      s = sourceNodeSchema(n, full);
    } else {
      s = deriveSchema(n, nodeInputs(n).map((i) => this.of(i)));
    }
    this.cache.set(n, s);
    return s;
  }
}

/** Declared properties of a map node's op. */
export function propsOf(call: OpCall<Schema, Schema, string>): OpProperties {
  const def = getOp(call.op);
  return def ? def.properties(call.params) : DEFAULT_PROPERTIES;
}

/** True when the op needs dataset-wide statistics: its rows are not independent of other rows. */
export function isGlobal(call: OpCall<Schema, Schema, string>): boolean {
  return getOp(call.op)?.spec.stats !== undefined;
}

/**
 * Row i of the output depends only on row i of the input, the same row always gives the same
 * result, and nothing happens besides computing outputs: the op commutes with anything that
 * removes or keeps whole rows without reading what the op writes.
 */
export function isPureRowLocal(call: OpCall<Schema, Schema, string>): boolean {
  const p = propsOf(call);
  return p.rowLocal && p.deterministic && !p.sideEffects && !isGlobal(call);
}

/** A pure filtering op (rowLocal, deterministic, no side effects or stats): a filter step like an expression filter. */
export function isFilteringOp(call: OpCall<Schema, Schema, string>): boolean {
  return propsOf(call).filters && isPureRowLocal(call);
}

/** Columns a map node reads, writes and removes (writes include removes for dependency checks). */
export function mapColumns(n: MapNode, ctx: RuleContext): { reads: Set<string>; writes: Set<string> } {
  const c = opColumns(n.call, ctx.schemaOf(n.input));
  return { reads: new Set(c.reads), writes: new Set([...c.writes, ...c.removes]) };
}

/** Nodes of the DAG under root with more than one consumer. */
export function sharedNodes(root: PlanNode): Set<PlanNode> {
  const out = new Set<PlanNode>();
  for (const [n, c] of consumerCounts(root)) if (c > 1) out.add(n);
  return out;
}

/**
 * Rebuild the DAG bottom-up: `fn` gets each node with its inputs already rebuilt and returns the
 * replacement (or the same node). Shared nodes are rebuilt once, so they stay shared; a node whose
 * inputs did not change is kept as the same object. When `shared` (from sharedNodes) is given, the
 * rebuilt copies of shared nodes are added to it.
 */
export function transformUp(root: PlanNode, fn: (n: PlanNode) => PlanNode, shared?: Set<PlanNode>): PlanNode {
  const memo = new Map<PlanNode, PlanNode>();
  const visit = (n: PlanNode): PlanNode => {
    const hit = memo.get(n);
    if (hit) return hit;
    const ins = nodeInputs(n);
    const next = ins.map(visit);
    const rebuilt = withInputs(n, next);
    // A rebuilt shared node is still shared: rules that consult `shared` must see it.
    if (shared?.has(n)) shared.add(rebuilt);
    const out = fn(rebuilt);
    if (shared?.has(n)) shared.add(out);
    memo.set(n, out);
    return out;
  };
  return visit(root);
}
