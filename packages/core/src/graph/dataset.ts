// The lazy, typed Dataset builder. Every method returns a new Dataset over a new immutable plan
// node and computes the output schema type; nothing is read or computed until compute(),
// stream(), write() or run().
import { setMaxListeners } from 'node:events';
import * as arrow from 'apache-arrow';
import { Observable } from 'rxjs';
import type { Bool, DType } from '../types/dtype.ts';
import type { ColumnName, DropCols, Extend, RenameCols, Schema, SelectCols, Simplify } from '../types/schema.ts';
import type { OpCall, TableOpCall } from '../ops/define-op.ts';
import { Expr, col as colExpr } from './expr.ts';
import type { ExprNode } from './expr.ts';
import type { JoinHow, PlanNode, ProjectItem, Source } from '../plan/logical-plan.ts';
import { knownSchema, newNodeId, resolveSchemas } from '../plan/logical-plan.ts';
import { displayPlan } from '../plan/display.ts';
import type { Chunk } from '../exec/chunk.ts';
import { chunkToRecordBatch, emptyChunk, RecordBatchCollector } from '../exec/chunk.ts';
import type { ErrorPolicy, RunReport } from '../exec/report.ts';
import { createExecutor } from '../exec/pool/pool-executor.ts';
import type { ParallelOptions } from '../exec/pool/pool-executor.ts';
import { displayPhysical, planPhysical } from '../exec/physical-plan.ts';
import type { PhysicalPlan, StageStats } from '../exec/physical-plan.ts';
import { toArrowSchema } from '../types/arrow-types.ts';
import { writeIpc } from '../io/arrow-ipc.ts';
import { writeParquetFile } from '../io/parquet.ts';
import { InvalidArgumentError } from '../errors.ts';
import { explainOptimizer, planForRun } from '../plan/optimizer.ts';
import type { OptimizerSetting } from '../plan/optimizer.ts';
import type { BatchOf, BatchOptions } from '../loader/batch-options.ts';
import { BatchLoader, createBatchLoader } from '../loader/batch-loader.ts';

/**
 * Options of a run. Parallelism (see ParallelOptions): `workers` (default 'auto': the machine's cores
 * when the plan has op stages and more than one batch of input), `ordered`, `maxInFlightBatches`, `batchesPerTask`,
 * `maxInFlightBytes`, `retries`, `progress` (an rxjs Observer of ProgressEvents).
 */
export interface ComputeOptions extends ParallelOptions {
  /**
   * Rows per batch (default 1024; when not given, a stage of costly ops — by their declared
   * costPerRow — cuts batches to about 50 ms of work, e.g. 16 images: see explain()).
   */
  readonly batchSize?: number;
  /** What to do with bad rows: 'fail' (default), 'skip' (drop and count) or 'quarantine' (keep aside). */
  readonly onError?: ErrorPolicy;
  /** Seed of every random op in the run (default 0). */
  readonly seed?: number;
  /** Cancels the run. */
  readonly signal?: AbortSignal;
  /** Process only rows whose source row id ≡ index (mod count). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** The planner: on by default; `false` runs the plan as written; `{ disable: ['push-down-filter'] }` skips rules. */
  readonly optimizer?: OptimizerSetting;
}

/** An Arrow table plus the run's report (rows in/out/filtered/skipped/quarantined). */
export type ComputeResult = arrow.Table & { readonly report: RunReport };

/** The typed column accessors handed to expression callbacks: `ds.filter((c) => c.label.ne('x'))`. */
export type Cols<S extends Schema> = { readonly [K in ColumnName<S>]: Expr<S[K], K> };

type MissingInputs<S extends Schema, In extends Schema> = {
  // A column whose dtype is not known at compile time (from an untyped expression) passes here and
  // is checked when the plan is built.
  [K in keyof In]: K extends keyof S ? (DType extends S[K] ? never : S[K] extends In[K] ? never : `column '${K & string}' has the wrong dtype for this op`) : `missing column '${K & string}'`;
}[keyof In];

/** Empty when S can feed an op that reads In; otherwise a tuple naming the problem (a tsc error). */
export type CheckInputs<S extends Schema, In extends Schema> = string extends keyof S
  ? []
  : [MissingInputs<S, In>] extends [never]
    ? []
    : [error: MissingInputs<S, In>];

// Inferring the whole call (not In/Out separately) keeps tsc from widening the op factory's
// literal column names to string through the contextual return type.
/** Columns an op call reads. */
export type OpInputs<C> = C extends OpCall<infer I, Schema, string> ? I : never;
/** Columns an op call writes. */
export type OpOutputs<C> = C extends OpCall<Schema, infer O, string> ? O : never;
/** Columns an op call removes. */
export type OpDrops<C> = C extends OpCall<Schema, Schema, infer D> ? D : never;

type ExprArg<S extends Schema, D extends DType> = Expr<D, ColumnName<S>> | ((c: Cols<S>) => Expr<D, ColumnName<S>>);

/** Stream of record batches: an rxjs Observable that can also be consumed with for-await. */
export type BatchStream = Observable<arrow.RecordBatch> & AsyncIterable<arrow.RecordBatch>;

function colsProxy<S extends Schema>(): Cols<S> {
  return new Proxy({} as Cols<S>, {
    get: (_t, name) => (typeof name === 'string' ? colExpr(name) : undefined),
  });
}

function exprArg(a: Expr<DType, string> | ((c: Cols<Schema>) => Expr<DType, string>)): ExprNode {
  const e = typeof a === 'function' ? a(colsProxy()) : a;
  if (!(e instanceof Expr)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'expected an expression such as col(x).gt(0)', {
      fix: 'pass an Expr built with col()/lit(), or a callback (c) => c.x.gt(0); a JS predicate function cannot be moved to workers — define an op instead',
    });
  }
  return e.node;
}

/** A lazy, typed dataset. S maps column names to dtypes. */
export class Dataset<S extends Schema> {
  /** The plan node this dataset stands for. */
  readonly plan: PlanNode;

  /** @internal use the source functions (fromRows, readCsv, …). */
  constructor(plan: PlanNode) {
    this.plan = plan;
    // Validate eagerly when the schema is known without I/O, so mistakes surface where they are made.
    knownSchema(plan);
  }

  /** The schema, when known without reading any file; null otherwise (see resolveSchema). */
  get schema(): S | null {
    return knownSchema(this.plan) as S | null;
  }

  /** The schema, reading file headers if a source needs it. */
  async resolveSchema(): Promise<S> {
    return (await resolveSchemas(this.plan)).get(this.plan) as S;
  }

  /** A typed column reference: `ds.col('x').gt(3)`. */
  col<K extends ColumnName<S>>(name: K): Expr<S[K], K> {
    return colExpr(name) as unknown as Expr<S[K], K>;
  }

  /** Apply an op. The op's input columns must exist with the right dtypes (checked by tsc and at build). */
  map<C extends OpCall<any, any, any>>(
    op: C,
    ..._check: CheckInputs<S, OpInputs<C>>
  ): Dataset<Extend<Simplify<Omit<S, OpDrops<C>>>, OpOutputs<C>>> {
    if (!op || op.kind !== 'op-call') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'map() takes an op call, e.g. map(resize({ ... }))', {
        fix: 'define your transformation with defineOp and pass a call of it; plain functions cannot run on worker threads',
      });
    }
    return new Dataset({ kind: 'map', id: newNodeId(), input: this.plan, call: op as OpCall<Schema, Schema, string> });
  }

  /** Keep rows where the predicate is true (null counts as false). */
  filter(pred: ExprArg<S, Bool>): Dataset<S> {
    return new Dataset({ kind: 'filter', id: newNodeId(), input: this.plan, predicate: exprArg(pred as never) });
  }

  /** Keep only the given columns, in that order. */
  select<K extends ColumnName<S>>(...cols: K[]): Dataset<SelectCols<S, K>> {
    if (cols.length === 0) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'select() needs at least one column', { op: 'select', fix: "select('id', 'label')" });
    const items: ProjectItem[] = cols.map((c) => ({ name: c, expr: { e: 'col', name: c } }));
    return new Dataset({ kind: 'project', id: newNodeId(), input: this.plan, items });
  }

  /** All columns but the given ones. */
  drop<K extends ColumnName<S>>(...cols: K[]): Dataset<DropCols<S, K>> {
    return this.project([], { exclude: cols, rename: {} });
  }

  /** Rename columns: `rename({ old: 'new' })`. */
  rename<const M extends { readonly [K in ColumnName<S>]?: string }>(mapping: M): Dataset<RenameCols<S, M>> {
    const rename: Record<string, string> = {};
    for (const [k, v] of Object.entries(mapping)) if (typeof v === 'string') rename[k] = v;
    return this.project([], { exclude: [], rename });
  }

  /** Add (or replace, in place) a column computed by an expression. */
  withColumn<N extends string, D extends DType>(name: N, expr: ExprArg<S, D>): Dataset<Extend<S, { readonly [K in N]: D }>> {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'withColumn needs a column name', { op: 'withColumn', fix: "withColumn('x', col('a').add(1))" });
    return this.project([{ name, expr: exprArg(expr as never) }], { exclude: [], rename: {} });
  }

  private project<T extends Schema>(items: ProjectItem[], rest: { exclude: readonly string[]; rename: Record<string, string> }): Dataset<T> {
    return new Dataset({ kind: 'project', id: newNodeId(), input: this.plan, items, rest }) as unknown as Dataset<T>;
  }

  /** The first n rows (after skipping `offset`). */
  limit(n: number, offset = 0): Dataset<S> {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(offset) || offset < 0) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `limit needs non-negative integers, got ${n}, offset ${offset}`, { op: 'limit', fix: 'limit(100)' });
    }
    return new Dataset({ kind: 'limit', id: newNodeId(), input: this.plan, n, offset });
  }

  /** Join with another dataset on key columns (inner or left). Non-key column names must differ. */
  join<S2 extends Schema, K extends ColumnName<S> & ColumnName<S2>>(
    other: Dataset<S2>,
    opts: { readonly on: K | readonly K[]; readonly how?: JoinHow },
  ): Dataset<Simplify<S & Omit<S2, K>>> {
    const on = (Array.isArray(opts.on) ? opts.on : [opts.on]) as string[];
    if (on.length === 0) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'join needs at least one key column', { op: 'join', fix: "join(other, { on: 'id' })" });
    const how = opts.how ?? 'inner';
    if (how !== 'inner' && how !== 'left') throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `join how must be 'inner' or 'left', got '${String(how)}'`, { op: 'join', fix: "how: 'left'" });
    return new Dataset({ kind: 'join', id: newNodeId(), left: this.plan, right: other.plan, on, how });
  }

  /** Rows of this dataset followed by the rows of the others (same schema). */
  union(...others: Dataset<S>[]): Dataset<S> {
    return new Dataset({ kind: 'union', id: newNodeId(), inputs: [this.plan, ...others.map((o) => o.plan)] });
  }

  /** Pair rows by position with another dataset of the same length. */
  zip<S2 extends Schema>(other: Dataset<S2>): Dataset<Simplify<S & S2>> {
    return new Dataset({ kind: 'zip', id: newNodeId(), left: this.plan, right: other.plan });
  }

  /** Apply a whole-dataset op (defineTableOp) to this dataset and, for multi-input ops, others. */
  apply<Out extends Schema>(op: TableOpCall<Out>, ...others: Dataset<Schema>[]): Dataset<Out> {
    if (!op || op.kind !== 'table-op-call') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'apply() takes a table-op call (defineTableOp)', { fix: 'use map() for row-local ops' });
    }
    return new Dataset({ kind: 'tableOp', id: newNodeId(), inputs: [this.plan, ...others.map((o) => o.plan)], call: op as TableOpCall<Schema> });
  }

  /** The plan as text. Does no I/O: schemas that need a file read are left out. */
  explain(opts: { readonly analyze?: boolean; readonly optimizer?: OptimizerSetting; readonly onError?: ErrorPolicy } = {}): string {
    const schemas = new Map<PlanNode, Schema>();
    const s = knownSchema(this.plan);
    if (s) schemas.set(this.plan, s);
    const opt = explainOptimizer(this.plan, opts.optimizer, opts.onError);
    return `== Logical plan ==\n${displayPlan(this.plan, { schemas })}\n${opt.text}\n${this.explainPhysical(opts.analyze === true, opt.plan)}`;
  }

  // Figures of the last run of this dataset, for explain({ analyze: true }).
  private lastRun: { physical: PhysicalPlan; stages: ReadonlyMap<number, StageStats>; report: RunReport; workers: number } | undefined;

  /** The fused stages; with `analyze`, the last run's per-op rows and time and the bottleneck stage. */
  private explainPhysical(analyze: boolean, plan: PlanNode = this.plan): string {
    if (!analyze) return `== Physical plan ==\n${displayPhysical(planPhysical(plan))}`;
    const r = this.lastRun;
    if (!r) return '== Physical plan (analyze) ==\nno run yet: call compute(), run(), write() or stream() first, then explain({ analyze: true })';
    const nodes = new Map(r.report.nodes.map((n) => [n.id, n]));
    return `== Physical plan (analyzed: last run, ${r.workers} workers, ${r.report.wallMs.toFixed(0)} ms) ==\n` +
      `${displayPhysical(r.physical, r.stages, r.workers)}\n== Per op (last run) ==\n${displayPlan(r.physical.root, { stats: nodes })}`;
  }

  /** Run and stream chunks (internal form; used by sinks and the executor tests). */
  async *chunks(opts: ComputeOptions = {}, onReport?: (r: RunReport) => void): AsyncGenerator<Chunk> {
    const plan = await planForRun(this.plan, opts.optimizer, opts.onError);
    const ex = createExecutor(plan, execOptions(opts), opts);
    try {
      yield* ex.run(plan);
    } finally {
      const report = ex.report.finish();
      this.lastRun = { physical: ex.physical, stages: ex.stageStats, report, workers: ex.pool.workers };
      onReport?.(report);
    }
  }

  /** Run to an Arrow table with the run report attached. */
  async compute(opts: ComputeOptions = {}): Promise<ComputeResult> {
    const r = await this.run(opts);
    return Object.assign(r.table, { report: r.report });
  }

  /** Run to { table, report }. */
  async run(opts: ComputeOptions = {}): Promise<{ table: arrow.Table; report: RunReport }> {
    let report: RunReport | undefined;
    const out = new RecordBatchCollector();
    for await (const c of this.chunks(opts, (r) => { report = r; })) out.push(c);
    const batches = out.finish();
    if (batches.length === 0) batches.push(chunkToRecordBatch(emptyChunk(await this.resolveSchema())));
    return { table: new arrow.Table(batches), report: report! };
  }

  /** Stream record batches as an rxjs Observable (also usable with for-await). */
  stream(opts: ComputeOptions & { readonly onReport?: (r: RunReport) => void } = {}): BatchStream {
    const gen = () => this.recordBatches(opts, opts.onReport);
    const obs = new Observable<arrow.RecordBatch>((sub) => {
      const ctrl = new AbortController();
      const signal = opts.signal ? AbortSignal.any([opts.signal, ctrl.signal]) : ctrl.signal;
      (async () => {
        try {
          for await (const b of this.recordBatches({ ...opts, signal }, opts.onReport)) {
            if (sub.closed) return;
            sub.next(b);
          }
          sub.complete();
        } catch (e) {
          sub.error(e);
        }
      })();
      return () => ctrl.abort();
    });
    return Object.assign(obs, { [Symbol.asyncIterator]: () => gen()[Symbol.asyncIterator]() }) as BatchStream;
  }

  private async *recordBatches(opts: ComputeOptions, onReport?: (r: RunReport) => void): AsyncGenerator<arrow.RecordBatch> {
    for await (const c of this.chunks(opts, onReport)) yield chunkToRecordBatch(c);
  }

  /** Run and write the result: Arrow IPC file ('arrow'), IPC stream ('arrow-stream') or Parquet. */
  async write(path: string, opts: ComputeOptions & { readonly format?: 'arrow' | 'arrow-stream' | 'parquet' } = {}): Promise<RunReport> {
    const format = opts.format ?? (path.endsWith('.parquet') ? 'parquet' : 'arrow');
    if (format === 'parquet') {
      const r = await this.run(opts);
      await writeParquetFile(path, r.table);
      return r.report;
    }
    if (format !== 'arrow' && format !== 'arrow-stream') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `unknown format '${String(format)}'`, { op: 'write', fix: "use 'arrow', 'arrow-stream' or 'parquet'" });
    }
    const schema = await this.resolveSchema();
    let report: RunReport | undefined;
    await writeIpc(path, toArrowSchema(schema), this.recordBatches(opts, (r) => { report = r; }), format === 'arrow' ? 'file' : 'stream');
    return report!;
  }

  /**
   * Training batches: shuffle, length bucketing, dynamic padding with masks, prefetch and a
   * resumable `state()` (see loader/batch-loader.ts and docs/training-batches.md).
   * @example for await (const b of ds.batches({ batchSize: 32, shuffle: 'full', seed: 1 })) step(b.columns);
   */
  batches<const O extends BatchOptions<S>>(opts: O): BatchLoader<BatchOf<S, O>> {
    return createBatchLoader<S, BatchOf<S, O>>(this, opts);
  }
}

/**
 * The run's own signal, following the caller's: every task in flight listens to it, so it may have
 * many listeners (Node would warn past 10 on the caller's signal).
 */
function runSignal(user: AbortSignal | undefined): AbortSignal {
  const s = user ? AbortSignal.any([user]) : new AbortController().signal;
  setMaxListeners(0, s);
  return s;
}

function execOptions(o: ComputeOptions) {
  return {
    batchSize: o.batchSize ?? 1024,
    batchSizeAuto: o.batchSize === undefined,
    onError: o.onError ?? 'fail',
    seed: o.seed ?? 0,
    signal: runSignal(o.signal),
    ...(o.shard ? { shard: o.shard } : {}),
  } as const;
}

/** A Dataset over a source. */
export function fromSource<S extends Schema>(source: Source): Dataset<S> {
  return new Dataset<S>({ kind: 'source', id: newNodeId(), source });
}
