// Logical plan nodes: immutable data forming a DAG (a node may feed several consumers). Each node
// knows how to derive its output schema from its inputs' schemas; derivation validates columns and
// dtypes and names the step that is wrong.
import type { Schema } from '../types/schema.ts';
import type { DType } from '../types/dtype.ts';
import { dtypeAccepts, dtypeEquals, dtypeToString } from '../types/dtype.ts';
import type { ExprNode } from '../graph/expr.ts';
import { exprToString, inferDType } from '../graph/expr.ts';
import type { OpCall, OpProperties, TableOpCall } from '../ops/define-op.ts';
import { DEFAULT_PROPERTIES } from '../ops/define-op.ts';
import { getOp, getTableOp } from '../ops/registry.ts';
import type { Chunk } from '../exec/chunk.ts';
import { ColumnNotFoundError, DTypeMismatchError, ExprError, RegistryError, SchemaError } from '../errors.ts';

/** A batch of rows read by a source, with the rows it could not read. */
export interface SourceBatch {
  readonly chunk: Chunk;
  readonly errors?: readonly RowFailure[];
}

/** One bad row: where it came from and why. */
export interface RowFailure {
  readonly rowId: number;
  readonly op: string;
  readonly column?: string;
  readonly code: string;
  readonly message: string;
  /** The row's scalar values, kept for quarantine. */
  readonly row?: Record<string, unknown>;
}

export interface SourceReadOptions {
  readonly batchSize: number;
  /** Columns needed downstream (all when undefined); readers may skip parsing the others. */
  readonly columns?: readonly string[];
  /** Stop after this many rows (the reader may read a little more). */
  readonly limit?: number;
  /** Read only the rows of this shard (row id modulo count). */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly signal: AbortSignal;
  /**
   * A hint: the whole input is gathered into one chunk downstream (a table op, a join's build
   * side), so batches that are views of one buffer concatenate without a copy. Row ids described
   * as ranges (`rowIdRange`) concatenate without a copy either way.
   */
  readonly collected?: boolean;
}

/** A data source. Sources run on the coordinating thread; they need not be serializable. */
export interface Source {
  /** Short name for plans: `readCsv`, `fromRows`. */
  readonly name: string;
  /** One line for explain(): path, row count, options. */
  describe(): string;
  /** The schema when it is known without I/O (given by the user or fixed by the format). */
  readonly knownSchema: Schema | null;
  /** The schema, reading headers when needed. */
  resolveSchema(): Promise<Schema>;
  read(opts: SourceReadOptions): AsyncIterable<SourceBatch>;
  /** Number of rows when known without reading (in-memory sources). */
  readonly rowCount?: number;
}

let nextId = 1;
export function newNodeId(): number {
  return nextId++;
}

/**
 * A source. The planner may push down `columns` (only these are produced, in source order) and
 * `limit` (a hint: the reader may stop after this many source rows).
 */
export interface SourceNode {
  readonly kind: 'source'; readonly id: number; readonly source: Source;
  readonly columns?: readonly string[]; readonly limit?: number;
}
/**
 * How a global op (one with `stats`) gets its statistics, chosen by the planner: 'cache' keeps the
 * input in memory between the statistics pass and the apply pass; 'recompute' runs the input
 * twice, streaming (memory stays bounded). Absent: the executor's default (cache).
 */
export interface GlobalStatsPlan { readonly mode: 'cache' | 'recompute'; readonly reason: string }
export interface MapNode {
  readonly kind: 'map'; readonly id: number; readonly input: PlanNode; readonly call: OpCall<Schema, Schema, string>;
  readonly globalStats?: GlobalStatsPlan;
}
export interface FilterNode { readonly kind: 'filter'; readonly id: number; readonly input: PlanNode; readonly predicate: ExprNode }
/** One output column of a projection: a name and the expression computing it. */
export interface ProjectItem { readonly name: string; readonly expr: ExprNode }
/**
 * A projection. With `rest`, every input column not excluded passes through (renamed when asked)
 * and items with the same name replace it in place; other items are appended. Without `rest`, the
 * output is exactly `items`.
 */
export interface ProjectNode {
  readonly kind: 'project'; readonly id: number; readonly input: PlanNode; readonly items: readonly ProjectItem[];
  readonly rest?: { readonly exclude: readonly string[]; readonly rename: { readonly [from: string]: string } };
}

/** The explicit output columns of a projection over a given input schema. */
export function expandProject(n: ProjectNode, input: Schema): ProjectItem[] {
  if (!n.rest) return [...n.items];
  for (const k of [...n.rest.exclude, ...Object.keys(n.rest.rename)]) {
    if (!(k in input)) {
      throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `column '${k}' does not exist; available: ${Object.keys(input).join(', ') || '(none)'}`, {
        op: Object.keys(n.rest.rename).includes(k) ? 'rename' : 'drop', column: k, fix: 'check the column name',
      });
    }
  }
  const byName = new Map(n.items.map((it) => [it.name, it]));
  const out: ProjectItem[] = [];
  const exclude = new Set(n.rest.exclude);
  for (const k of Object.keys(input)) {
    if (exclude.has(k)) continue;
    const name = n.rest.rename[k] ?? k;
    const it = byName.get(name);
    if (it) { out.push(it); byName.delete(name); } else out.push({ name, expr: { e: 'col', name: k } });
  }
  for (const it of n.items) if (byName.has(it.name)) out.push(it);
  return out;
}
export interface LimitNode { readonly kind: 'limit'; readonly id: number; readonly input: PlanNode; readonly n: number; readonly offset: number }
export type JoinHow = 'inner' | 'left';
export interface JoinNode {
  readonly kind: 'join'; readonly id: number; readonly left: PlanNode; readonly right: PlanNode;
  readonly on: readonly string[]; readonly how: JoinHow;
}
export interface UnionNode { readonly kind: 'union'; readonly id: number; readonly inputs: readonly PlanNode[] }
export interface ZipNode { readonly kind: 'zip'; readonly id: number; readonly left: PlanNode; readonly right: PlanNode }
export interface TableOpNode { readonly kind: 'tableOp'; readonly id: number; readonly inputs: readonly PlanNode[]; readonly call: TableOpCall<Schema> }

export type PlanNode = SourceNode | MapNode | FilterNode | ProjectNode | LimitNode | JoinNode | UnionNode | ZipNode | TableOpNode;

/** The inputs of a node, in order. */
export function nodeInputs(n: PlanNode): readonly PlanNode[] {
  switch (n.kind) {
    case 'source': return [];
    case 'map': case 'filter': case 'project': case 'limit': return [n.input];
    case 'join': case 'zip': return [n.left, n.right];
    case 'union': case 'tableOp': return n.inputs;
  }
}

/** The node over new inputs: a copy (same id) when an input changed, the node itself otherwise. */
export function withInputs(n: PlanNode, inputs: readonly PlanNode[]): PlanNode {
  // Unchanged inputs give back the node itself: rules detect "nothing changed" by identity.
  const ins = nodeInputs(n);
  if (ins.length === inputs.length && ins.every((x, i) => x === inputs[i])) return n;
  switch (n.kind) {
    case 'source': return n;
    case 'map': case 'filter': case 'project': case 'limit': return { ...n, input: inputs[0]! };
    case 'join': case 'zip': return { ...n, left: inputs[0]!, right: inputs[1]! };
    case 'union': case 'tableOp': return { ...n, inputs: [...inputs] };
  }
}

/** The schema a source node produces, given its source's full schema (pushed-down columns applied). */
export function sourceNodeSchema(n: SourceNode, full: Schema): Schema {
  if (!n.columns) return full;
  const want = new Set(n.columns);
  const out: Record<string, DType> = {};
  for (const [k, v] of Object.entries(full)) if (want.has(k)) out[k] = v;
  return out;
}

/** Declared properties of a map node's op (defaults when the op is not registered here). */
export function opProperties(call: OpCall<Schema, Schema, string>): OpProperties {
  const def = getOp(call.op);
  return def ? def.properties(call.params) : DEFAULT_PROPERTIES;
}

function requireOp(call: OpCall<Schema, Schema, string>) {
  const def = getOp(call.op);
  if (!def) {
    throw new RegistryError('MF_OP_NOT_FOUND', `op '${call.op}' is not registered in this thread`, {
      op: call.op, fix: `import ${call.module} before building the plan`,
    });
  }
  return def;
}

/** Columns an op reads, writes and removes, for the planner. */
export function opColumns(call: OpCall<Schema, Schema, string>, input: Schema): { reads: string[]; writes: string[]; removes: string[] } {
  const def = requireOp(call);
  return {
    reads: Object.keys(def.spec.inputs(call.params)),
    writes: Object.keys(def.spec.outputs(call.params, input)),
    removes: [...(def.spec.removes?.(call.params) ?? [])],
  };
}

/** Output schema of a node given its inputs' schemas; validates and throws a named error. */
export function deriveSchema(n: PlanNode, inputs: readonly Schema[]): Schema {
  switch (n.kind) {
    case 'source': {
      if (!n.source.knownSchema) throw new SchemaError('MF_SCHEMA', `schema of ${n.source.name} is not resolved`, { op: n.source.name });
      return sourceNodeSchema(n, n.source.knownSchema);
    }
    case 'map': {
      const input = inputs[0]!;
      const def = requireOp(n.call);
      const need = def.spec.inputs(n.call.params);
      for (const [name, t] of Object.entries(need)) checkColumn(input, name, t, n.call.op);
      const removes = new Set(def.spec.removes?.(n.call.params) ?? []);
      const out: Record<string, DType> = {};
      for (const [k, v] of Object.entries(input)) if (!removes.has(k)) out[k] = v;
      const outputs = def.spec.outputs(n.call.params, input);
      for (const [k, v] of Object.entries(outputs)) { delete out[k]; out[k] = v; }
      return out;
    }
    case 'filter': {
      const t = inferDType(n.predicate, inputs[0]!, 'filter');
      if (t.kind !== 'bool') {
        throw new ExprError('MF_EXPR', `filter predicate ${exprToString(n.predicate)} has dtype ${dtypeToString(t)}, not bool`, {
          op: 'filter', fix: 'compare the column, e.g. col(x).gt(0)',
        });
      }
      return inputs[0]!;
    }
    case 'project': {
      const out: Record<string, DType> = {};
      for (const it of expandProject(n, inputs[0]!)) {
        if (it.name in out) throw new SchemaError('MF_SCHEMA', `column '${it.name}' appears twice in a projection`, { op: 'project', column: it.name, fix: 'rename one of them' });
        out[it.name] = inferDType(it.expr, inputs[0]!, 'project');
      }
      return out;
    }
    case 'limit': return inputs[0]!;
    case 'join': {
      const [l, r] = inputs as [Schema, Schema];
      for (const k of n.on) {
        const lt = l[k], rt = r[k];
        if (!lt) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `join key '${k}' is not in the left input`, { op: 'join', column: k, fix: 'join on columns both sides have' });
        if (!rt) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `join key '${k}' is not in the right input`, { op: 'join', column: k, fix: 'join on columns both sides have' });
        if (!dtypeEquals(lt, rt)) throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `join key '${k}' is ${dtypeToString(lt)} on the left and ${dtypeToString(rt)} on the right`, { op: 'join', column: k, fix: 'cast one side' });
      }
      const out: Record<string, DType> = { ...l };
      for (const [k, v] of Object.entries(r)) {
        if (n.on.includes(k)) continue;
        if (k in out) throw new SchemaError('MF_SCHEMA', `column '${k}' is on both sides of the join`, { op: 'join', column: k, fix: 'rename or drop it on one side before joining' });
        out[k] = v;
      }
      return out;
    }
    case 'zip': {
      const [l, r] = inputs as [Schema, Schema];
      const out: Record<string, DType> = { ...l };
      for (const [k, v] of Object.entries(r)) {
        if (k in out) throw new SchemaError('MF_SCHEMA', `column '${k}' is on both sides of zip`, { op: 'zip', column: k, fix: 'rename or drop it on one side first' });
        out[k] = v;
      }
      return out;
    }
    case 'union': {
      const first = inputs[0]!;
      inputs.forEach((s, i) => {
        const a = Object.keys(first), b = Object.keys(s);
        const same = a.length === b.length && a.every((k, j) => k === b[j] && dtypeEquals(first[k]!, s[k]!));
        if (!same) {
          throw new SchemaError('MF_SCHEMA', `union input ${i} has schema {${b.map((k) => `${k}: ${dtypeToString(s[k]!)}`).join(', ')}}, expected {${a.map((k) => `${k}: ${dtypeToString(first[k]!)}`).join(', ')}}`, {
            op: 'union', fix: 'select and cast the columns so every input has the same names, order and dtypes',
          });
        }
      });
      return first;
    }
    case 'tableOp': {
      const def = getTableOp(n.call.op);
      if (!def) throw new RegistryError('MF_OP_NOT_FOUND', `table op '${n.call.op}' is not registered`, { op: n.call.op, fix: `import ${n.call.module} first` });
      def.spec.validate?.(n.call.params, inputs);
      return def.spec.outputs(n.call.params, inputs);
    }
  }
}

function checkColumn(input: Schema, name: string, t: DType, op: string): void {
  const have = input[name];
  if (!have) {
    throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `needs column '${name}' (${dtypeToString(t)}), which does not exist; available: ${Object.keys(input).join(', ') || '(none)'}`, {
      op, column: name, fix: 'pass the right column name in the op params, or produce the column first',
    });
  }
  if (!dtypeAccepts(t, have)) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `needs column '${name}' as ${dtypeToString(t)}, but it is ${dtypeToString(have)}`, {
      op, column: name, fix: 'cast or convert the column first (e.g. with withColumn and cast, or a decode op)',
    });
  }
}

/** Schemas of all nodes of a plan, resolving sources that need I/O; validates every step. */
export async function resolveSchemas(root: PlanNode): Promise<Map<PlanNode, Schema>> {
  const out = new Map<PlanNode, Schema>();
  const visit = async (n: PlanNode): Promise<Schema> => {
    const done = out.get(n);
    if (done) return done;
    let s: Schema;
    if (n.kind === 'source') s = sourceNodeSchema(n, n.source.knownSchema ?? (await n.source.resolveSchema()));
    else {
      const ins: Schema[] = [];
      for (const i of nodeInputs(n)) ins.push(await visit(i));
      s = deriveSchema(n, ins);
    }
    out.set(n, s);
    return s;
  };
  await visit(root);
  return out;
}

/** Schema of a node when every source's schema is known without I/O; null otherwise. */
export function knownSchema(n: PlanNode, cache: Map<PlanNode, Schema | null> = new Map()): Schema | null {
  if (cache.has(n)) return cache.get(n)!;
  let s: Schema | null;
  if (n.kind === 'source') s = n.source.knownSchema && sourceNodeSchema(n, n.source.knownSchema);
  else {
    const ins = nodeInputs(n).map((i) => knownSchema(i, cache));
    s = ins.every((x): x is Schema => x !== null) ? deriveSchema(n, ins) : null;
  }
  cache.set(n, s);
  return s;
}

/** Nodes of the DAG reachable from root, inputs before consumers, each once. */
export function topoOrder(root: PlanNode): PlanNode[] {
  const seen = new Set<PlanNode>();
  const order: PlanNode[] = [];
  const visit = (n: PlanNode) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const i of nodeInputs(n)) visit(i);
    order.push(n);
  };
  visit(root);
  return order;
}

/** How many consumers each node has within the DAG under root. */
export function consumerCounts(root: PlanNode): Map<PlanNode, number> {
  const counts = new Map<PlanNode, number>();
  for (const n of topoOrder(root)) for (const i of nodeInputs(n)) counts.set(i, (counts.get(i) ?? 0) + 1);
  return counts;
}
