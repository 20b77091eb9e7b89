// The in-process executor: pulls chunks through the plan one batch at a time (memory stays bounded
// by batch size, except where a node must see all its input: joins' build side, global ops, table
// ops, and nodes with several consumers, which are computed once and replayed).
import type { Schema } from '../types/schema.ts';
import type { Chunk } from './chunk.ts';
import { concatChunks, emptyChunk, makeChunk, rowIdAt, rowIdsOf, sliceChunk, takeChunk } from './chunk.ts';
import { evalExpr, predicateIndices } from './eval-expr.ts';
import { applyOp, kernelInput, opSeed, stableStringify } from './apply-op.ts';
import { buildData, getValue } from './column.ts';
import type { FilterNode, JoinNode, LimitNode, MapNode, PlanNode, ProjectNode, RowFailure, TableOpNode, UnionNode, ZipNode } from '../plan/logical-plan.ts';
import { consumerCounts, expandProject, resolveSchemas } from '../plan/logical-plan.ts';
import { resolveOp, resolveTableOp } from '../ops/registry.ts';
import type { OpDef } from '../ops/define-op.ts';
import { AbortError, InvalidArgumentError, ModaflowError, OpError } from '../errors.ts';
import { RunReportBuilder } from './report.ts';
import { shardChunk } from '../io/memory.ts';
import type { ErrorPolicy } from './report.ts';
import * as arrow from 'apache-arrow';

export interface ExecOptions {
  readonly batchSize: number;
  /** The batch size was not given: stages of costly ops may cut batches smaller (Stage.batchRows). */
  readonly batchSizeAuto?: boolean;
  readonly onError: ErrorPolicy;
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly shard?: { readonly index: number; readonly count: number };
}

type AnyOpDef = OpDef<unknown, unknown, unknown>;

const stateCache = new Map<string, Promise<unknown>>();

/** Per-thread cached op state (`init`), keyed by op name and params. */
export function opState(def: AnyOpDef, params: unknown): Promise<unknown> {
  if (!def.spec.init) return Promise.resolve(undefined);
  const key = `${def.name}\u0000${stableStringify(params)}`;
  let p = stateCache.get(key);
  if (!p) {
    p = Promise.resolve().then(() => def.spec.init!(params));
    p.catch(() => stateCache.delete(key));
    stateCache.set(key, p);
  }
  return p;
}

/** Dispose every cached op state (pool shutdown, tests). */
export async function clearOpStates(): Promise<void> {
  const entries = [...stateCache.entries()];
  stateCache.clear();
  for (const [key, p] of entries) {
    const name = key.split('\u0000')[0]!;
    try {
      const st = await p;
      const { getOp } = await import('../ops/registry.ts');
      await getOp(name)?.spec.dispose?.(st);
    } catch { /* a failed init has nothing to dispose */ }
  }
}


/** Runs a plan in this thread. */
export class InProcessExecutor {
  readonly report: RunReportBuilder;
  protected schemas = new Map<PlanNode, Schema>();
  protected consumers = new Map<PlanNode, number>();
  private shared = new Map<PlanNode, Promise<Chunk[]>>();
  protected readonly opts: ExecOptions;

  constructor(opts: ExecOptions) {
    this.opts = opts;
    this.report = new RunReportBuilder(opts.onError);
  }

  /** Stream the root's chunks. */
  async *run(root: PlanNode): AsyncGenerator<Chunk> {
    validateOptions(this.opts);
    this.schemas = await resolveSchemas(root);
    this.consumers = consumerCounts(root);
    for await (const c of this.node(root)) {
      this.report.rowsOut += c.length;
      yield c;
    }
  }

  schemaOf(n: PlanNode): Schema {
    return this.schemas.get(n)!;
  }

  protected checkAbort(): void {
    if (this.opts.signal.aborted) {
      throw new AbortError('MF_ABORTED', 'the run was cancelled', { fix: 'this is the result of AbortSignal; start a new run to compute again' });
    }
  }

  protected node(n: PlanNode): AsyncIterable<Chunk> {
    if ((this.consumers.get(n) ?? 0) > 1) return this.replay(n);
    return this.exec(n);
  }

  private async *replay(n: PlanNode): AsyncGenerator<Chunk> {
    let p = this.shared.get(n);
    if (!p) {
      p = (async () => {
        const out: Chunk[] = [];
        for await (const c of this.exec(n)) out.push(c);
        return out;
      })();
      this.shared.set(n, p);
    }
    yield* await p;
  }

  // The pool executor overrides this to run fused stages on workers.
  protected exec(n: PlanNode): AsyncIterable<Chunk> {
    switch (n.kind) {
      case 'source': return this.source(n);
      case 'map': return this.map(n);
      case 'filter': return this.filter(n);
      case 'project': return this.project(n);
      case 'limit': return this.limit(n);
      case 'join': return this.join(n);
      case 'union': return this.union(n);
      case 'zip': return this.zip(n);
      case 'tableOp': return this.tableOp(n);
    }
  }

  /** Route bad rows through the error policy. */
  protected failures(fs: readonly RowFailure[]): void {
    if (fs.length === 0) return;
    if (this.opts.onError === 'fail') {
      const f = fs[0]!;
      throw new OpError((f.code as ModaflowError['code']) ?? 'MF_ROW_ERROR', f.message, {
        op: f.op,
        ...(f.column !== undefined ? { column: f.column } : {}),
        row: f.rowId,
        fix: "fix or remove the bad input, or run with onError: 'skip' or 'quarantine' to set bad rows aside",
      });
    }
    this.report.addFailures(fs);
  }

  private async *source(n: Extract<PlanNode, { kind: 'source' }>): AsyncGenerator<Chunk> {
    const stats = this.report.node(n.id, n.source.name);
    const readOpts = {
      batchSize: this.opts.batchSize, signal: this.opts.signal, ...(this.opts.shard ? { shard: this.opts.shard } : {}),
      ...(this.collecting.has(n) ? { collected: true } : {}),
    };
    // The shard is the source's to apply while reading (it may skip the other rows' parsing), and
    // the engine's to guarantee: a source that ignores it (a custom one) would give every shard
    // every row. Applied again here, it is a check that keeps a sharded batch as it is.
    const shard = this.opts.shard && this.opts.shard.count > 1 ? this.opts.shard : undefined;
    for await (const b of n.source.read(readOpts)) {
      this.checkAbort();
      const chunk = shard ? shardChunk(b.chunk, shard) : b.chunk;
      const errs = shard && b.errors ? b.errors.filter((e) => e.rowId % shard.count === shard.index) : b.errors ?? [];
      this.report.rowsIn += chunk.length + errs.length;
      stats.rowsIn += chunk.length + errs.length;
      stats.rowsOut += chunk.length;
      this.failures(errs);
      if (chunk.length > 0) yield chunk;
    }
  }

  private async *map(n: MapNode): AsyncGenerator<Chunk> {
    const def = await resolveOp(n.call.op, n.call.module);
    const params = n.call.params;
    const state = await opState(def, params);
    const seed = opSeed(this.opts.seed, params);
    const inputSchema = this.schemaOf(n.input);
    const stats = this.report.node(n.id, n.call.op);
    let input: AsyncIterable<Chunk> | Iterable<Chunk> = this.node(n.input);
    let globalStats: unknown = undefined;
    if (def.spec.stats) ({ stats: globalStats, input } = await this.statisticsStage(n, def, input));
    for await (const c of input) {
      this.checkAbort();
      const t0 = performance.now();
      const r = await applyOp(def, params, c, inputSchema, { state, stats: globalStats, seed, signal: this.opts.signal });
      stats.timeMs += performance.now() - t0;
      stats.rowsIn += c.length;
      stats.rowsOut += r.chunk.length;
      stats.batches++;
      this.failures(r.failures);
      if (r.chunk.length > 0) yield r.chunk;
    }
  }

  /**
   * The statistics stage of a global op: folds the op's whole input into its statistics, and
   * returns them with the input for the row-local stage — the same chunks kept in memory ('cache',
   * the default) or, when the planner chose 'recompute' (split-global-op), `input` itself, not
   * started yet, after a separate streaming run of the input computed the statistics.
   */
  /** Whether stage outputs arrive in completion order rather than source order (never in-process). */
  protected arrivesUnordered(): boolean {
    return false;
  }

  protected async statisticsStage(n: MapNode, def: AnyOpDef, input: AsyncIterable<Chunk>): Promise<{ stats: unknown; input: AsyncIterable<Chunk> | Iterable<Chunk> }> {
    const g = def.spec.stats!;
    const params = n.call.params;
    let acc = g.init(params);
    const t0 = performance.now();
    let rest: AsyncIterable<Chunk> | Iterable<Chunk> = input;
    if (n.globalStats?.mode === 'recompute') {
      // Its own executor and report: rows and bad rows are counted once, by the pass that yields.
      const pass = new InProcessExecutor(this.opts);
      for await (const c of pass.run(n.input)) {
        this.checkAbort();
        acc = g.update(acc, kernelInput(c), params);
      }
    } else {
      const chunks: Chunk[] = [];
      // Batches that arrive in completion order (ordered: false) are folded in source order once
      // all are in, so that statistics that depend on the order of summation (floating point)
      // come out the same as in an ordered run.
      const reorder = this.arrivesUnordered();
      for await (const c of input) {
        this.checkAbort();
        chunks.push(c);
        if (!reorder) acc = g.update(acc, kernelInput(c), params);
      }
      if (reorder) {
        const sorted = chunks.filter((c) => c.length > 0).sort((a, b) => rowIdAt(a, 0) - rowIdAt(b, 0));
        for (const c of sorted) acc = g.update(acc, kernelInput(c), params);
      }
      rest = chunks;
    }
    const stats = g.finalize(acc, params);
    this.report.node(n.id, n.call.op).timeMs += performance.now() - t0;
    return { stats, input: rest };
  }

  private async *filter(n: FilterNode): AsyncGenerator<Chunk> {
    const stats = this.report.node(n.id, 'filter');
    for await (const c of this.node(n.input)) {
      const t0 = performance.now();
      const { values } = evalExpr(n.predicate, c, 'filter');
      const idx = predicateIndices(values);
      const out = idx.length === c.length ? c : takeChunk(c, idx);
      stats.timeMs += performance.now() - t0;
      stats.rowsIn += c.length;
      stats.rowsOut += out.length;
      stats.batches++;
      this.report.filtered += c.length - out.length;
      if (out.length > 0) yield out;
    }
  }

  private async *project(n: ProjectNode): AsyncGenerator<Chunk> {
    const schema = this.schemaOf(n);
    const items = expandProject(n, this.schemaOf(n.input));
    for await (const c of this.node(n.input)) {
      const cols: Record<string, arrow.Data> = {};
      for (const it of items) {
        // Plain column references are passed through without touching the data.
        if (it.expr.e === 'col') cols[it.name] = c.columns[it.expr.name]!;
        else {
          const { dtype, values } = evalExpr(it.expr, c, 'withColumn');
          cols[it.name] = buildData(dtype, values, it.name);
        }
      }
      yield makeChunk(schema, cols, rowIdsOf(c));
    }
  }

  private async *limit(n: LimitNode): AsyncGenerator<Chunk> {
    let skip = n.offset;
    let left = n.n;
    if (left <= 0) return;
    for await (const c of this.node(n.input)) {
      let chunk = c;
      if (skip > 0) {
        const s = Math.min(skip, chunk.length);
        skip -= s;
        chunk = sliceChunk(chunk, s, chunk.length);
      }
      if (chunk.length === 0) continue;
      if (chunk.length >= left) {
        const out = sliceChunk(chunk, 0, left);
        this.report.filtered += c.length - out.length;
        yield out;
        return; // returning closes the upstream generators: sources stop reading
      }
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Nodes whose whole output is gathered into one chunk (sources read them contiguously). */
  private readonly collecting = new Set<PlanNode>();

  private async collect(n: PlanNode): Promise<Chunk> {
    this.collecting.add(n);
    const chunks: Chunk[] = [];
    for await (const c of this.node(n)) chunks.push(c);
    return chunks.length ? concatChunks(this.schemaOf(n), chunks) : emptyChunk(this.schemaOf(n));
  }

  private async *join(n: JoinNode): AsyncGenerator<Chunk> {
    const right = await this.collect(n.right);
    const rs = this.schemaOf(n.right);
    const keyOf = (c: Chunk, i: number): string | null => {
      const parts: unknown[] = [];
      for (const k of n.on) {
        const v = getValue(c.schema[k]!, c.columns[k]!, i);
        if (v === null) return null; // null keys never match (SQL semantics)
        parts.push(typeof v === 'bigint' ? `${v}n` : v);
      }
      return JSON.stringify(parts);
    };
    const index = new Map<string, number[]>();
    for (let i = 0; i < right.length; i++) {
      const k = keyOf(right, i);
      if (k === null) continue;
      const l = index.get(k);
      if (l) l.push(i); else index.set(k, [i]);
    }
    const schema = this.schemaOf(n);
    const rightCols = Object.keys(rs).filter((k) => !n.on.includes(k));
    for await (const c of this.node(n.left)) {
      const li: number[] = [];
      const ri: number[] = [];
      for (let i = 0; i < c.length; i++) {
        const k = keyOf(c, i);
        const m = k === null ? undefined : index.get(k);
        if (m) for (const j of m) { li.push(i); ri.push(j); }
        else if (n.how === 'left') { li.push(i); ri.push(-1); }
      }
      if (li.length === 0) continue;
      const left = takeChunk(c, li);
      const cols: Record<string, arrow.Data> = { ...left.columns };
      for (const k of rightCols) {
        const t = rs[k]!;
        const vals = ri.map((j) => (j < 0 ? null : getValue(t, right.columns[k]!, j)));
        cols[k] = buildData(t, vals, k);
      }
      yield makeChunk(schema, cols, rowIdsOf(left));
    }
  }

  private async *union(n: UnionNode): AsyncGenerator<Chunk> {
    const k = n.inputs.length;
    for (let i = 0; i < k; i++) {
      for await (const c of this.node(n.inputs[i]!)) {
        // Row ids stay unique across inputs: input i's row r becomes r * k + i.
        const ids = new Float64Array(c.length);
        for (let j = 0; j < c.length; j++) ids[j] = c.rowIds[j]! * k + i;
        yield { ...c, schema: this.schemaOf(n), rowIds: ids };
      }
    }
  }

  private async *zip(n: ZipNode): AsyncGenerator<Chunk> {
    const schema = this.schemaOf(n);
    const li = this.node(n.left)[Symbol.asyncIterator]();
    const ri = this.node(n.right)[Symbol.asyncIterator]();
    let lc: Chunk | null = null, rc: Chunk | null = null;
    let lDone = false, rDone = false;
    let row = 0;
    try {
      for (;;) {
        if (!lc || lc.length === 0) { const r = await li.next(); if (r.done) { lDone = true; lc = null; } else lc = r.value; }
        if (!rc || rc.length === 0) { const r = await ri.next(); if (r.done) { rDone = true; rc = null; } else rc = r.value; }
        if (lDone || rDone) break;
        if (!lc || !rc) continue;
        const m = Math.min(lc.length, rc.length);
        const a = sliceChunk(lc, 0, m), b = sliceChunk(rc, 0, m);
        yield makeChunk(schema, { ...a.columns, ...b.columns }, rowIdsOf(a));
        row += m;
        lc = sliceChunk(lc, m, lc.length);
        rc = sliceChunk(rc, m, rc.length);
      }
      const leftover = lDone ? (rc && rc.length > 0 ? 'right' : (await ri.next()).done ? null : 'right') : 'left';
      if (leftover) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `zip inputs have different lengths: the ${leftover} input has rows after row ${row}`, {
          op: 'zip', row, fix: 'zip datasets with the same number of rows (filter both the same way, or use join on a key)',
        });
      }
    } finally {
      await li.return?.();
      await ri.return?.();
    }
  }

  private async *tableOp(n: TableOpNode): AsyncGenerator<Chunk> {
    const def = await resolveTableOp(n.call.op, n.call.module);
    const stats = this.report.node(n.id, n.call.op);
    const inputs: Chunk[] = [];
    for (const i of n.inputs) inputs.push(await this.collect(i));
    const t0 = performance.now();
    const r = await def.spec.run(inputs, n.call.params, { signal: this.opts.signal, seed: opSeed(this.opts.seed, n.call.params) });
    stats.timeMs += performance.now() - t0;
    stats.rowsIn += inputs.reduce((a, c) => a + c.length, 0);
    // (A Chunk has no `chunk` field: a TableOpResult does.)
    const out = 'chunk' in r ? r.chunk : r;
    if ('chunk' in r) {
      this.report.filtered += r.filtered ?? 0;
      if (r.failures?.length) this.failures(r.failures);
    }
    stats.rowsOut += out.length;
    for (let s = 0; s < out.length; s += this.opts.batchSize) yield sliceChunk(out, s, Math.min(out.length, s + this.opts.batchSize));
  }
}

export function validateOptions(o: ExecOptions): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize <= 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `batchSize must be a positive integer, got ${o.batchSize}`, { fix: 'pass e.g. batchSize: 1024' });
  }
  if (!['fail', 'skip', 'quarantine'].includes(o.onError)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `onError must be 'fail', 'skip' or 'quarantine', got '${String(o.onError)}'`, { fix: "pass onError: 'skip' to drop bad rows or 'quarantine' to keep them aside" });
  }
  if (o.shard) {
    const { index, count } = o.shard;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `shard must satisfy 0 <= index < count, got index ${index}, count ${count}`, { fix: 'pass shard: { index: i, count: n } with integers' });
    }
  }
}
