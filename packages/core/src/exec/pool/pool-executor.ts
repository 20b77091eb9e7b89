// The stage executor: runs the physical plan. Barriers (sources, joins, limits, …) run on the
// coordinating thread as in the in-process executor; each fused stage sends its batches to the
// worker pool with a bound on batches and bytes in flight, and yields results in input order
// (or as they finish, with ordered: false). With workers: 0 the stages run inline.
import type { PlanNode, RowFailure } from '../../plan/logical-plan.ts';
import { expandProject } from '../../plan/logical-plan.ts';
import type { Chunk, RowIds } from '../chunk.ts';
import { chunkBytes, rowIdsOf, sliceChunk, writeRowIds } from '../chunk.ts';
import { InProcessExecutor } from '../executor.ts';
import type { ExecOptions } from '../executor.ts';
import { resolveOp } from '../../ops/registry.ts';
import { AbortError, InvalidArgumentError, ModaflowError, OpError, WorkerError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { OpDef } from '../../ops/define-op.ts';
import type { BarrierStats, PhysicalPlan, Stage, StageStats } from '../physical-plan.ts';
import { planPhysical, RunStats, stageLabel } from '../physical-plan.ts';
import { decodeBatches, encodeBatches } from './transfer.ts';
import type { HopBytes } from './transfer.ts';
import { runSteps } from './run-steps.ts';
import { BATCH_STATS, STEP_STATS } from './protocol.ts';
import type { StageReply, StageTask, StepSpec, StepStats, WireError } from './protocol.ts';
import type { ProgressEvent, ProgressObserver } from './progress.ts';
import { defaultWorkerHeapMb, defaultWorkers, getPool, MIN_WORKER_HEAP_MB, poolStarted, poolStartUs } from './pool.ts';
import type { Piscina } from 'piscina';

/** How stages are run. */
export interface PoolOptions {
  /** Worker threads; 0 runs every stage on this thread. */
  readonly workers: number;
  /** Yield batches in input order (default) or as they finish. */
  readonly ordered: boolean;
  /** Batches dispatched but not yet yielded, per stage ('auto': 4 tasks per worker, see batchesPerTask). */
  readonly maxInFlightBatches: number | 'auto';
  /** Batches sent to a worker in one task ('auto': more than one only for small, quick batches). */
  readonly batchesPerTask: number | 'auto';
  /** Bytes of input batches dispatched but not yet yielded, per stage (one batch may exceed it alone). */
  readonly maxInFlightBytes: number;
  /** Attempts after a worker dies while running a batch. */
  readonly retries: number;
  /** A batch running longer than this on a worker counts as a dead worker (its thread is stopped). */
  readonly taskTimeoutMs: number;
  /**
   * Each worker's V8 heap limit, MB of old generation (see defaultWorkerHeapMb, the default): a
   * worker that fills it is stopped and counts as a dead worker.
   */
  readonly workerHeapMb?: number;
  /**
   * The worker count was left to the engine ('auto'): a stage whose batches measure quicker
   * in-process than through the pool moves in-process (see quickerInProcess).
   */
  readonly adaptive?: boolean;
  readonly progress?: ProgressObserver;
}

/** What a stage measured over a window of batches through the pool (all ms, summed over `batches`). */
export interface PoolWindow {
  readonly batches: number;
  /** Wall time the window took. */
  readonly wallMs: number;
  /** Kernel time on the workers. */
  readonly workerMs: number;
}

/**
 * Whether a stage's batches may go quicker in-process: the pool does not clearly run its kernels
 * in parallel — its wall time per batch is above ADAPT_GATE of the kernels' own time (two workers
 * busy with CPU-bound kernels give about 0.5). The pool loses on cheap ops over batches the engine
 * does not own (a caller's arrays must be copied out, and the copies freed), where hops, not
 * kernels, set the pace. This only starts a probe: the stage then runs a few batches in-process,
 * timed as the pool was, and keeps whichever measured quicker.
 */
export function quickerInProcess(w: PoolWindow): boolean {
  return w.batches > 0 && w.wallMs > ADAPT_GATE * w.workerMs;
}

interface Done {
  readonly seq: number;
  readonly error?: ModaflowError;
  readonly chunk?: Chunk;
  readonly failures?: readonly RowFailure[];
  readonly steps?: readonly StepStats[];
  readonly workerMs: number;
  readonly roundTripMs: number;
  /** This batch's share of its task's queue wait (the task's round trip less its worker time); 0 when left out. */
  readonly queueWaitMs?: number;
  readonly bytesCopied: number;
  readonly bytesTransferred: number;
  readonly bytesOut: number;
}

const FRESH_SOURCES = new Set(['fromRows', 'readCsv', 'readManifest']);
const NO_FAILURES: readonly RowFailure[] = [];

/**
 * Work per task the grouping of quick batches aims for (ms of worker time). On 2 cores the
 * coordinating thread's work per task (~0.1–0.3 ms of its CPU here: messages, wake-ups, plus GC
 * work on V8's helper threads) takes a core from the workers. Measured on 800 batches of ~0.5 ms
 * (spin, 2 workers vs in-process, 5 runs each, quiet): 1.15–1.50× with 4 ms tasks, 1.27–1.68×
 * with 8, 1.42–1.77× with 16; with 1 ms tasks the pool was slower than in-process.
 */
const TASK_TARGET_MS = 16;
/** Most batches in one task. */
const MAX_BATCHES_PER_TASK = 64;
/** Tasks measured to take a worker less than this may wait in its queue (see dispatch). */
const QUEUE_BELOW_MS = 20;
/** Batches an adaptive stage lets through before it measures the pool (start-up is not steady). */
const ADAPT_AFTER = 4;
/** The least batches, and wall time, a measurement window spans. */
const ADAPT_WINDOW = 16;
const ADAPT_WINDOW_MS = 10;
/** The pool's wall time per batch, as a share of its kernels' time per batch, above which a probe runs. */
const ADAPT_GATE = 0.75;
/** Batches a probe runs before it starts timing (the first ones on this thread warm it up). */
const ADAPT_PROBE_WARMUP = 2;
/** How much quicker the in-process probe must be for the stage to stay in-process. */
const ADAPT_PROBE_MARGIN = 1.2;
/** Times a task queued behind dying workers is sent again before it counts as failed itself. */
const MAX_REQUEUES = 4;

function fromWire(e: WireError): ModaflowError {
  const ctx = {
    ...(e.op !== undefined ? { op: e.op } : {}), ...(e.column !== undefined ? { column: e.column } : {}),
    ...(e.row !== undefined ? { row: e.row } : {}), ...(e.fix !== undefined ? { fix: e.fix } : {}),
  };
  return new OpError((e.code as ErrorCode) ?? 'MF_OP_FAILED', e.message, ctx);
}

/**
 * The task's result, or a rejection as soon as the run is cancelled (the task itself runs on, its
 * result dropped). `waiters` holds what the run's one abort listener calls: one listener per run
 * instead of an add/remove pair on the signal per task.
 */
function untilAborted<T>(task: Promise<T>, signal: AbortSignal, waiters: Set<() => void>): Promise<T> {
  if (signal.aborted) { task.catch(() => {}); return Promise.reject(abortError()); }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => { task.catch(() => {}); reject(abortError()); };
    waiters.add(onAbort);
    task.then(
      (v) => { waiters.delete(onAbort); resolve(v); },
      (e: unknown) => { waiters.delete(onAbort); reject(e); },
    );
  });
}

function abortError(): AbortError {
  return new AbortError('MF_ABORTED', 'the run was cancelled', { fix: 'this is the result of AbortSignal; start a new run to compute again' });
}

/** Runs a plan's fused stages on a worker pool (or inline), barriers on this thread. */
export class StageExecutor extends InProcessExecutor {
  readonly physical: PhysicalPlan;
  readonly pool: PoolOptions;
  /** Per-stage figures, and each barrier's own time on this thread, filled as the run proceeds. */
  readonly stageStats = new RunStats();
  /** The step (stage or barrier) whose code runs on this thread now; see timed(). */
  private running: TimingFrame | null = null;
  /**
   * Set (to 1) when the run is cancelled: a queued task reads it before each batch and returns
   * at once (shared memory, so it is seen while the task waits in a worker's queue).
   */
  private readonly cancelled = new Int32Array(new SharedArrayBuffer(4));
  /** Tasks waiting in a worker's queue, each rejected at once when the run is cancelled (untilAborted). */
  private readonly abortWaiters = new Set<() => void>();

  constructor(root: PlanNode, opts: ExecOptions, pool: PoolOptions, physical: PhysicalPlan = planPhysical(root)) {
    super(opts);
    validatePoolOptions(pool);
    const flag = this.cancelled, waiters = this.abortWaiters;
    opts.signal.addEventListener('abort', () => {
      Atomics.store(flag, 0, 1);
      for (const f of waiters) f();
      waiters.clear();
    }, { once: true });
    this.pool = pool;
    this.physical = physical;
    for (const s of physical.stages) {
      this.stageStats.set(s.id, { id: s.id, batches: 0, tasks: 0, rowsIn: 0, rowsOut: 0, busyMs: 0, statisticsMs: 0, inputWaitMs: 0, backpressureMs: 0, dispatchMs: 0, bytesTransferred: 0, bytesCopied: 0, retries: 0 });
    }
  }

  protected override arrivesUnordered(): boolean {
    return !this.pool.ordered && this.pool.workers > 0;
  }

  private emit(e: ProgressEvent): void {
    try { this.pool.progress?.next(e); } catch { /* a failing observer must not break the run */ }
  }

  override async *run(root: PlanNode): AsyncGenerator<Chunk> {
    const t0 = performance.now();
    this.emit({
      type: 'run-start', workers: this.pool.workers, totalRows: totalRows(root, this.opts.shard?.count ?? 1),
      stages: this.physical.stages.map((s) => ({ id: s.id, label: stageLabel(s), onWorkers: s.onWorkers && this.pool.workers > 0 })),
    });
    let error: string | undefined;
    try {
      yield* super.run(root);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      this.emit({ type: 'run-done', rowsIn: this.report.rowsIn, rowsOut: this.report.rowsOut, wallMs: performance.now() - t0, ...(error !== undefined ? { error } : {}) });
    }
  }

  protected override exec(n: PlanNode): AsyncIterable<Chunk> {
    const s = this.physical.byTop.get(n);
    if (s) return this.timed(this.stage(s));
    let b = this.stageStats.barriers.get(n.id);
    if (!b) { b = { nodeId: n.id, batches: 0, rowsOut: 0, selfMs: 0 }; this.stageStats.barriers.set(n.id, b); }
    return this.timed(super.exec(n), b);
  }

  /**
   * The steps' own time on this thread. Every step's iterator (stages and barriers) is timed while
   * it is pulled; what its inputs took while it pulled them is subtracted, so a barrier's selfMs is
   * its own work (a join's build and probe, a source's reading) and not its inputs'. The plan is
   * pulled one step at a time (each step awaits its input), so the steps nest as calls do.
   */
  private timed(it: AsyncIterable<Chunk>, b?: BarrierStats): AsyncIterable<Chunk> {
    const ex = this;
    const step = async (pull: () => Promise<IteratorResult<Chunk>>): Promise<IteratorResult<Chunk>> => {
      const frame: TimingFrame = { parent: ex.running, inner: 0 };
      ex.running = frame;
      const t0 = performance.now();
      try {
        const r = await pull();
        if (b && !r.done) { b.batches++; b.rowsOut += r.value.length; }
        return r;
      } finally {
        const elapsed = performance.now() - t0;
        ex.running = frame.parent;
        if (frame.parent) frame.parent.inner += elapsed;
        if (b) b.selfMs += Math.max(0, elapsed - frame.inner);
      }
    };
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Chunk> => {
        const inner = it[Symbol.asyncIterator]();
        return {
          next: () => step(() => inner.next()),
          return: (v?: unknown) => step(() => (inner.return ? inner.return(v) : Promise.resolve({ done: true as const, value: v }))),
        };
      },
    };
  }

  /**
   * A global op's statistics pass, timed: this thread's time folding the input into the op's
   * statistics (or running the input again, when the planner chose to recompute it), without the
   * time the input took to arrive. Counted in the op's report time (and statsMs), and by stage().
   */
  private async timedStatistics(n: Extract<PlanNode, { kind: 'map' }>, def: OpDef<unknown, unknown, unknown>, input: AsyncIterable<Chunk>): Promise<{ stats: unknown; input: AsyncIterable<Chunk> | Iterable<Chunk>; ms: number }> {
    let waited = 0;
    const waiting: AsyncIterable<Chunk> = {
      [Symbol.asyncIterator]: () => {
        const it = input[Symbol.asyncIterator]();
        return {
          next: async () => { const t = performance.now(); try { return await it.next(); } finally { waited += performance.now() - t; } },
          return: (v?: unknown) => (it.return ? it.return(v) : Promise.resolve({ done: true as const, value: v })),
        };
      },
    };
    const node = this.report.node(n.id, n.call.op);
    const before = node.timeMs;
    const t0 = performance.now();
    const r = await super.statisticsStage(n, def, waiting);
    const ms = Math.max(0, performance.now() - t0 - waited);
    // (The base class counts the pass's whole wall time, input included: counted here without it.)
    node.timeMs = before + ms;
    node.statsMs = (node.statsMs ?? 0) + ms;
    return { ...r, ms };
  }

  protected override async statisticsStage(n: Extract<PlanNode, { kind: 'map' }>, def: OpDef<unknown, unknown, unknown>, input: AsyncIterable<Chunk>): Promise<{ stats: unknown; input: AsyncIterable<Chunk> | Iterable<Chunk> }> {
    const r = await this.timedStatistics(n, def, input);
    return { stats: r.stats, input: r.input };
  }

  private steps(s: Stage, globalStats: unknown): StepSpec[] {
    return s.nodes.map((n, i): StepSpec => {
      switch (n.kind) {
        case 'map': return {
          kind: 'map', nodeId: n.id, op: n.call.op, module: n.call.module, params: n.call.params, inputSchema: this.schemaOf(n.input),
          ...(i === 0 && s.globalHead ? { stats: globalStats } : {}),
        };
        case 'filter': return { kind: 'filter', nodeId: n.id, predicate: n.predicate };
        case 'project': return { kind: 'project', nodeId: n.id, items: expandProject(n, this.schemaOf(n.input)), schema: this.schemaOf(n) };
        default: throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `node ${n.kind} cannot be fused`, { op: n.kind });
      }
    });
  }

  /** Each worker's heap limit (MB of old generation). */
  private heapMb(): number {
    return this.pool.workerHeapMb ?? defaultWorkerHeapMb(this.pool.workers);
  }

  /** Whether a stage may give its input buffers away: only when nobody else can still read them. */
  private ownsInput(s: Stage): boolean {
    const inp = s.input;
    if ((this.consumers.get(inp) ?? 0) > 1) return false; // replayed to several consumers
    if (this.physical.byTop.has(inp)) return true; // batches that came back from workers
    if (inp.kind === 'join') return true; // gathered into fresh buffers
    // Only sources known to build fresh buffers for every batch. Others may hand out the caller's
    // data (fromArrow) or slices that share buffers with the next batch (a slice keeps the whole
    // validity bitmap): transferring one slice's buffers would detach the next one's.
    // A custom source opts in with `freshBatches: true`.
    return inp.kind === 'source' && (FRESH_SOURCES.has(inp.source.name) || (inp.source as { freshBatches?: boolean }).freshBatches === true);
  }

  private async *stage(s: Stage): AsyncGenerator<Chunk> {
    const st = this.stageStats.get(s.id)!;
    this.emit({ type: 'stage-start', stage: s.id, label: stageLabel(s) });
    let input: AsyncIterable<Chunk> = this.node(s.input);
    let globalStats: unknown;
    if (s.globalHead) {
      // A global op's statistics need the whole input: this is the barrier.
      const head = s.nodes[0] as Extract<PlanNode, { kind: 'map' }>;
      const def = await resolveOp(head.call.op, head.call.module);
      // Cached input or a second run of it, as the planner chose (split-global-op).
      const r = await this.timedStatistics(head, def as OpDef<unknown, unknown, unknown>, input);
      st.statisticsMs += r.ms;
      globalStats = r.stats;
      input = Array.isArray(r.input) ? drain(r.input) : (r.input as AsyncIterable<Chunk>);
    }
    const steps = this.steps(s, globalStats);
    const rows = this.batchRows(s);
    if (rows !== undefined) input = cutBatches(input, rows);
    if (!s.onWorkers || this.pool.workers === 0) yield* this.inline(s, steps, input);
    else yield* this.pooled(s, steps, input, rows === undefined);
    this.emit({ type: 'stage-done', stage: s.id, batches: st.batches, rowsIn: st.rowsIn, rowsOut: st.rowsOut, statisticsMs: st.statisticsMs });
  }

  private async *inline(s: Stage, steps: StepSpec[], input: AsyncIterable<Chunk>, seq = 0): AsyncGenerator<Chunk> {
    for await (const c of input) {
      const out = await this.inlineBatch(s, steps, c, seq++);
      if (out.length > 0) yield out;
    }
  }

  /** One batch of a stage on this thread. */
  private async inlineBatch(s: Stage, steps: StepSpec[], c: Chunk, seq: number): Promise<Chunk> {
    this.checkAbort();
    const t0 = performance.now();
    const r = await runSteps(steps, c, this.opts.seed, this.opts.signal);
    const ms = performance.now() - t0;
    return this.account(s, { seq, chunk: r.chunk, failures: r.failures, steps: r.steps, workerMs: ms, roundTripMs: ms, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 }, c.length);
  }

  /** Merge one batch's figures into the report and the stage statistics; route bad rows. */
  private account(s: Stage, d: Done, rowsIn: number): Chunk {
    const st = this.stageStats.get(s.id)!;
    const chunk = d.chunk!;
    for (const x of d.steps!) {
      if (x.name === 'project') continue; // projections are not reported per node (as in-process)
      this.report.mergeNode(x.nodeId, x.name, { rowsIn: x.rowsIn, rowsOut: x.rowsOut, batches: 1, timeMs: x.timeMs });
      this.report.filtered += x.filtered;
    }
    st.batches++;
    st.rowsIn += rowsIn;
    st.rowsOut += chunk.length;
    st.busyMs += d.workerMs;
    st.bytesCopied += d.bytesCopied;
    st.bytesTransferred += d.bytesTransferred;
    if (this.pool.progress) this.emit({
      type: 'batch-done', stage: s.id, seq: d.seq, rowsIn, rowsOut: chunk.length, bytesIn: d.bytesOut, bytesOut: chunk.length ? chunkBytes(chunk) : 0,
      bytesCopied: d.bytesCopied, bytesTransferred: d.bytesTransferred, workerMs: d.workerMs, roundTripMs: d.roundTripMs,
      queueWaitMs: d.queueWaitMs ?? 0,
      ops: d.steps!.map((x) => ({ nodeId: x.nodeId, name: x.name, rowsIn: x.rowsIn, rowsOut: x.rowsOut, timeMs: x.timeMs })),
    });
    this.failures(d.failures!);
    return chunk;
  }

  /**
   * How many batches go in one task. A hop costs a fixed ~50–150 µs here (waking a thread and a
   * message each way), so batches that take a worker less than that are grouped until a task holds
   * about TASK_TARGET_MS of work (at most MAX_BATCHES_PER_TASK, and a bounded share of the byte
   * budget). Until the first replies tell how long a batch takes, batches travel alone.
   */
  private groupSize(st: StageStats, avgBytes: number): number {
    const fixed = this.pool.batchesPerTask;
    if (fixed !== 'auto') return fixed;
    if (st.batches === 0) return 1;
    const perBatchMs = st.busyMs / st.batches;
    let g = perBatchMs > 0 ? Math.floor(TASK_TARGET_MS / perBatchMs) : MAX_BATCHES_PER_TASK;
    g = Math.min(g, MAX_BATCHES_PER_TASK);
    if (avgBytes > 0) g = Math.min(g, Math.floor(this.pool.maxInFlightBytes / (4 * this.pool.workers) / avgBytes));
    return Math.max(1, g);
  }

  /** Rows per batch for a stage of costly ops when the run's batch size was not given. */
  private batchRows(s: Stage): number | undefined {
    return this.opts.batchSizeAuto && s.batchRows !== undefined && s.batchRows < this.opts.batchSize ? s.batchRows : undefined;
  }

  private async *pooled(s: Stage, steps: StepSpec[], input: AsyncIterable<Chunk>, whole: boolean): AsyncGenerator<Chunk> {
    const st = this.stageStats.get(s.id)!;
    const pool = getPool(this.pool.workers, this.heapMb());
    const workers = this.pool.workers;
    // Giving buffers away is only possible when no retry needs them back, and never for pieces of
    // a batch cut smaller (they share its buffers).
    const transfer = whole && this.ownsInput(s) && this.pool.retries === 0;
    /** Dispatched batches not yet yielded, by sequence number: their task and place in it. */
    const pending = new Map<number, { task: Promise<Done[]>; i: number; bytes: number; rows: number }>();
    /** Unordered: results as their tasks finish (a queue, not a race over every pending batch). */
    const ready: Done[] = [];
    let readyAt = 0, failed: unknown, wake: (() => void) | null = null;
    /** Batches read but not yet dispatched: the task being filled. */
    const group: { chunk: Chunk; seq: number; bytes: number }[] = [];
    const it = input[Symbol.asyncIterator]();
    let seq = 0, nextOut = 0, inFlightBytes = 0, inputDone = false, tasksInFlight = 0, bytesRead = 0;
    const eager = this.pool.batchesPerTask === 'auto';
    const ordered = this.pool.ordered;
    // Adaptive: measure a window of batches once the stage is past its start, then stay on the
    // pool or move in-process for the rest of the input.
    let measuring = this.pool.adaptive === true, probing = false, yielded = 0, winStart = 0, winAt = 0, poolMsPerBatch = 0;
    let winWorker = 0, winLen = ADAPT_WINDOW;
    const flush = () => {
      if (group.length === 0) return;
      const g = group.splice(0);
      const task = this.dispatch(pool, s, steps, g.map((x) => x.chunk), transfer, g[0]!.seq);
      tasksInFlight++;
      st.tasks++;
      // Results of a run that stopped early are dropped; never leave a rejection unhandled.
      task.then((ds) => {
        tasksInFlight--;
        if (ordered) return;
        for (const d of ds) ready.push(d);
        wake?.();
      }, (e: unknown) => {
        tasksInFlight--;
        failed ??= e;
        wake?.();
      });
      for (let i = 0; i < g.length; i++) pending.set(g[i]!.seq, { task, i, bytes: g[i]!.bytes, rows: g[i]!.chunk.length });
    };
    const nextDone = async (): Promise<Done> => {
      if (ordered) {
        const p = pending.get(nextOut)!;
        return (await p.task)[p.i]!;
      }
      while (readyAt === ready.length && failed === undefined) await new Promise<void>((r) => { wake = r; });
      wake = null;
      if (readyAt === ready.length) throw failed;
      const d = ready[readyAt]!;
      ready[readyAt++] = undefined as unknown as Done;
      if (readyAt > 1024 && readyAt * 2 > ready.length) { ready.splice(0, readyAt); readyAt = 0; }
      return d;
    };
    try {
      for (;;) {
        for (;;) {
          const size = this.groupSize(st, seq > 0 ? bytesRead / seq : 0);
          // (2 tasks per worker while an adaptive stage measures: a probe must not wait for a deep queue to drain.)
          const maxBatches = this.pool.maxInFlightBatches === 'auto' ? (measuring ? 2 : 4) * workers * size : this.pool.maxInFlightBatches;
          const inFlight = () => pending.size + group.length;
          while (!probing && !inputDone && inFlight() < maxBatches && (inFlightBytes < this.pool.maxInFlightBytes || inFlight() === 0)) {
            this.checkAbort();
            // A worker with nothing to do gets what has been read so far rather than wait for a full
            // task ('auto' only: a fixed batchesPerTask is exact).
            if (group.length > 0 && (group.length >= size || (eager && tasksInFlight < workers))) flush();
            const tw = performance.now();
            const r = await it.next();
            st.inputWaitMs += performance.now() - tw;
            if (r.done) { inputDone = true; break; }
            const bytes = chunkBytes(r.value);
            bytesRead += bytes;
            group.push({ chunk: r.value, seq: seq++, bytes });
            inFlightBytes += bytes;
          }
          // Dispatch a partial task unless the one being waited for is already out and the workers
          // are busy (then the task fills up while they work).
          if (!probing && group.length > 0 && (inputDone || group.length >= size || (eager && tasksInFlight < workers) || pending.size === 0 || (ordered && !pending.has(nextOut)) || inFlightBytes >= this.pool.maxInFlightBytes)) flush();
          if (pending.size === 0) break; // (a partial task was flushed above)
          const tb = performance.now();
          const d = await nextDone();
          if (!inputDone) st.backpressureMs += performance.now() - tb;
          const p = pending.get(d.seq)!;
          pending.delete(d.seq);
          inFlightBytes -= p.bytes;
          nextOut++;
          if (d.error) throw d.error;
          const out = this.account(s, d, p.rows);
          if (out.length > 0) yield out;
          if (!measuring) continue;
          const now = performance.now();
          yielded++;
          if (yielded === ADAPT_AFTER) {
            winStart = now; winAt = yielded; winWorker = 0;
            winLen = Math.min(128, Math.max(ADAPT_WINDOW, 2 * size)); // two tasks at least
          } else if (yielded > ADAPT_AFTER) {
            winWorker += d.workerMs;
            const n = yielded - winAt;
            if (n >= winLen && now - winStart >= ADAPT_WINDOW_MS) {
              measuring = false;
              const w: PoolWindow = { batches: n, wallMs: now - winStart, workerMs: winWorker };
              // The pool looks slower than this thread would be: drain it and try (probe below).
              if (!inputDone && quickerInProcess(w)) { probing = true; poolMsPerBatch = w.wallMs / n; }
            }
          }
        }
        if (!probing) break;
        // Probe: run batches on this thread — what was read, then more — and time them as the
        // pool was timed (wall per batch, input and consumer included). Both measured under the
        // same load, one after the other: the quicker one runs the rest.
        const afterBatches = st.batches;
        const queue = group.splice(0);
        let warm = 0, n = 0, t0 = performance.now(), done = false;
        while (warm < ADAPT_PROBE_WARMUP || n < ADAPT_WINDOW || performance.now() - t0 < ADAPT_WINDOW_MS / 2) {
          let c: Chunk, q: number;
          const g = queue.shift();
          if (g) { c = g.chunk; q = g.seq; inFlightBytes -= g.bytes; }
          else {
            const tw = performance.now();
            const r = await it.next();
            st.inputWaitMs += performance.now() - tw;
            if (r.done) { done = true; break; }
            c = r.value; q = seq++;
          }
          const out = await this.inlineBatch(s, steps, c, q);
          if (out.length > 0) yield out;
          // The first batches on this thread warm it up (op state, compiled code): not timed.
          if (warm < ADAPT_PROBE_WARMUP) { if (++warm === ADAPT_PROBE_WARMUP) t0 = performance.now(); }
          else n++;
        }
        // Batches read before the probe and not run by it go first, wherever the rest runs.
        for (const g of queue) group.push(g);
        const inProcessMsPerBatch = n > 0 ? (performance.now() - t0) / n : Infinity;
        probing = false;
        nextOut = group.length > 0 ? group[0]!.seq : seq;
        if (done) break;
        if (inProcessMsPerBatch * ADAPT_PROBE_MARGIN < poolMsPerBatch) {
          st.movedInProcess = { afterBatches, poolMsPerBatch, inProcessMsPerBatch };
          const first = group.length > 0 ? group[0]!.seq : seq;
          yield* this.inline(s, steps, resume(group.splice(0).map((g) => g.chunk), it), first);
          break;
        }
        st.probedInProcess = { afterBatches, poolMsPerBatch, inProcessMsPerBatch }; // back to the pool
      }
    } finally {
      await it.return?.();
    }
  }

  /**
   * Send one task (one or more batches) to the pool; retry when its worker dies; never rejects.
   *
   * A quick task (under QUEUE_BELOW_MS of measured work) may wait in a worker's queue behind the
   * one it is running (two per worker), so that a worker goes from one task to the next without a
   * round trip through this thread — on this 2-core VM each such turnaround left a worker idle for
   * 0.4–0.9 ms, against 9 ms of work per task in the CPU-bound benchmark. A task queued behind one
   * whose worker dies dies with it, so queueing is used only where that costs nothing: the batches
   * are kept for a retry (not transferred, retries ≥ 1) and there is no task timeout (which needs
   * a task piscina can abort, and those run alone). Retries always run alone (`isolated`): a batch
   * that kills its worker cannot take another one down twice. A cancelled run stops waiting at
   * once; its queued tasks see `cancelled` and return without running.
   */
  private async dispatch(pool: Piscina, s: Stage, steps: StepSpec[], chunks: Chunk[], transfer: boolean, seq0: number, isolated = false): Promise<Done[]> {
    const st = this.stageStats.get(s.id)!;
    // Row ids are kept to name the rows if the batch is lost (they are never given away).
    const rowIds = chunks.map(rowIdsOf);
    const each = (f: (i: number) => Done): Done[] => chunks.map((_, i) => f(i));
    let started: Int32Array | null = null;
    let requeued = 0;
    for (let attempt = 0; ; attempt++) {
      const te = performance.now();
      const enc = encodeBatches(chunks, transfer);
      st.dispatchMs += performance.now() - te;
      const t0 = performance.now();
      // A hung kernel (an endless loop) must not hang the run: past the timeout the task is
      // aborted, which stops its worker, and the batch is handled like one whose worker died.
      const timeout = Number.isFinite(this.pool.taskTimeoutMs) ? AbortSignal.timeout(this.pool.taskTimeoutMs * chunks.length) : undefined;
      // Queue only quick tasks (measured): for a task of 100 ms a round trip is noise, and on this
      // 2-core VM queueing long async tasks (image decoding) measured ~10% slower.
      const taskMs = st.batches > 0 ? (st.busyMs / st.batches) * chunks.length : Infinity;
      const queued = !isolated && attempt === 0 && !transfer && !timeout && this.pool.retries >= 1 && taskMs < QUEUE_BELOW_MS;
      const signal = timeout ? AbortSignal.any([this.opts.signal, timeout]) : this.opts.signal;
      try {
        started = queued ? new Int32Array(new SharedArrayBuffer(4)) : null;
        const task: StageTask = { steps, seed: this.opts.seed, data: enc.wire, cancelled: this.cancelled, ...(started ? { started } : {}) };
        const reply = (queued
          ? await untilAborted(pool.run(task, { transferList: enc.transferList }), this.opts.signal, this.abortWaiters)
          : await pool.run(task, { transferList: enc.transferList, signal })) as StageReply;
        const td = performance.now();
        const roundTripMs = td - t0;
        const done = this.replyBatches(steps, reply, enc.bytes, seq0, roundTripMs);
        st.dispatchMs += performance.now() - td;
        return done;
      } catch (e) {
        if (this.opts.signal.aborted) return each((i) => ({ seq: seq0 + i, error: abortError(), workerMs: 0, roundTripMs: 0, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 }));
        // Queued behind a task whose worker died, never started: send it again as it was (no
        // attempt used, no retry reported). This ends: retries run alone, so they cannot take a
        // queued task down, and each batch that kills its worker is retried a bounded number of times.
        // (Bounded all the same, for workers that die before they start anything.)
        if (started && Atomics.load(started, 0) === 0 && requeued < MAX_REQUEUES) { requeued++; attempt--; continue; }
        const reason = timeout?.aborted ? `the batch ran longer than taskTimeoutMs (${this.pool.taskTimeoutMs} ms)`
          : (e as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it filled its heap, workerHeapMb: ${this.heapMb()}: ${(e as Error).message}`
          : (e as Error)?.message ?? String(e);
        if (pool.threads.length === 0) {
          const error = new WorkerError('MF_WORKER', `no worker could start: ${reason}`, { op: stageLabel(s), fix: 'check that the op modules import cleanly in a worker thread, or run with workers: 0' });
          return each((i) => ({ seq: seq0 + i, error, workerMs: 0, roundTripMs: 0, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 }));
        }
        // A task of several batches whose worker died: retry them one by one, so that one batch
        // that kills its worker does not take the others down with it.
        if (chunks.length > 1 && !transfer) {
          st.retries += chunks.length;
          for (let i = 0; i < chunks.length; i++) this.emit({ type: 'batch-retry', stage: s.id, seq: seq0 + i, attempt: attempt + 1, reason });
          const alone = await Promise.all(chunks.map((c, i) => this.dispatch(pool, s, steps, [c], false, seq0 + i, true)));
          return alone.flat();
        }
        if (attempt < this.pool.retries && !transfer) {
          isolated = true;
          st.retries++;
          for (let i = 0; i < chunks.length; i++) this.emit({ type: 'batch-retry', stage: s.id, seq: seq0 + i, attempt: attempt + 1, reason });
          continue;
        }
        return each((i) => this.lostBatch(s, seq0 + i, rowIds[i]!, reason, attempt));
      }
    }
  }

  /** The per-batch results of a task's reply (batches that failed as a whole carry their error). */
  private replyBatches(steps: readonly StepSpec[], reply: StageReply, sent: readonly HopBytes[], seq0: number, roundTripMs: number): Done[] {
    const chunks = decodeBatches(reply.data);
    const stride = BATCH_STATS + STEP_STATS * steps.length;
    const st = reply.stats;
    const out: Done[] = [];
    let ok = 0, f = 0, e = 0;
    // The task's queue wait (its round trip less the worker time of all its batches), shared by
    // its batches: each batch's round trip is the task's, which holds the other batches' work too.
    let taskWorkerMs = 0;
    for (let i = 0; i < sent.length; i++) if (st[i * stride] === 1) taskWorkerMs += st[i * stride + 1]!;
    const queueWaitMs = Math.max(0, roundTripMs - taskWorkerMs) / sent.length;
    for (let i = 0; i < sent.length; i++) {
      const seq = seq0 + i, at = i * stride;
      if (st[at] !== 1) {
        const err = reply.errors[e]?.[0] === i ? reply.errors[e++]![1] : { name: 'Error', code: 'MF_WORKER', message: 'a worker returned no result for this batch' };
        out.push({ seq, error: fromWire(err), workerMs: 0, roundTripMs, queueWaitMs, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 });
        continue;
      }
      const stepStats: StepStats[] = [];
      for (let j = 0; j < steps.length; j++) {
        const k = at + BATCH_STATS + j * STEP_STATS;
        if (st[k] !== 1) break;
        const s = steps[j]!;
        stepStats.push({ nodeId: s.nodeId, name: s.kind === 'map' ? s.op : s.kind, rowsIn: st[k + 1]!, rowsOut: st[k + 2]!, timeMs: st[k + 3]!, filtered: st[k + 4]! });
      }
      const failures = reply.failures[f]?.[0] === i ? reply.failures[f++]![1] : NO_FAILURES;
      const b = sent[i]!;
      out.push({
        seq, chunk: chunks[ok++]!, failures, steps: stepStats, workerMs: st[at + 1]!, roundTripMs, queueWaitMs,
        bytesCopied: b.copied + st[at + 2]!, bytesTransferred: b.transferred + st[at + 3]!, bytesOut: b.copied + b.transferred,
      });
    }
    return out;
  }

  /** A batch whose worker died on every attempt: its rows fail with MF_WORKER under the run's policy. */
  private lostBatch(s: Stage, seq: number, ids: RowIds, reason: string, retries: number): Done {
    const rowIds = writeRowIds(ids);
    const op = stageLabel(s);
    const message = `a worker died running this batch (${reason}); ${retries} ${retries === 1 ? 'retry' : 'retries'} failed too`;
    const fix = 'look for process.exit, endless loops, native crashes or memory blow-ups in the op; raise retries, taskTimeoutMs or workerHeapMb, or run with workers: 0 to debug in-process';
    if (this.opts.onError === 'fail') {
      return { seq, error: new WorkerError('MF_WORKER', message, { op, ...(rowIds.length ? { row: rowIds[0]! } : {}), fix }), workerMs: 0, roundTripMs: 0, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 };
    }
    const failures: RowFailure[] = Array.from(rowIds, (rowId) => ({ rowId, op, code: 'MF_WORKER', message }));
    const empty: Chunk = { schema: this.schemaOf(s.top), columns: {}, length: 0, rowIds: new Float64Array(0) };
    return { seq, chunk: empty, failures, steps: [], workerMs: 0, roundTripMs: 0, bytesCopied: 0, bytesTransferred: 0, bytesOut: 0 };
  }
}

/** A step being timed on this thread (see StageExecutor.timed). */
interface TimingFrame {
  readonly parent: TimingFrame | null;
  /** Time its inputs took while it pulled them, ms. */
  inner: number;
}

/** `first`, then the rest of an input already started. */
async function* resume(first: readonly Chunk[], it: AsyncIterator<Chunk>): AsyncGenerator<Chunk> {
  yield* first;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}

/** Batches cut to at most `rows` rows (zero-copy slices). */
async function* cutBatches(input: AsyncIterable<Chunk>, rows: number): AsyncGenerator<Chunk> {
  for await (const c of input) {
    if (c.length <= rows) { yield c; continue; }
    for (let s = 0; s < c.length; s += rows) yield sliceChunk(c, s, Math.min(c.length, s + rows));
  }
}

async function* drain(chunks: Chunk[]): AsyncGenerator<Chunk> {
  // Release each batch as it is handed on, so memory falls as the stage proceeds.
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    (chunks as (Chunk | undefined)[])[i] = undefined;
    yield c;
  }
}

/** Source rows of the plan when every source knows its row count (for progress bars). */
function totalRows(root: PlanNode, shards: number): number | null {
  let n = 0;
  const seen = new Set<PlanNode>();
  const visit = (x: PlanNode): boolean => {
    if (seen.has(x)) return true;
    seen.add(x);
    if (x.kind === 'source') {
      if (x.source.rowCount === undefined) return false;
      n += Math.ceil(x.source.rowCount / shards);
      return true;
    }
    const ins = x.kind === 'map' || x.kind === 'filter' || x.kind === 'project' || x.kind === 'limit' ? [x.input]
      : x.kind === 'join' || x.kind === 'zip' ? [x.left, x.right] : x.inputs;
    return ins.every(visit);
  };
  return visit(root) ? n : null;
}

export function validatePoolOptions(o: PoolOptions): void {
  const int = (v: number, name: string, min: number, fix: string) => {
    if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${v}`, { fix });
  };
  int(o.workers, 'workers', 0, 'pass workers: 0 to run in-process, or the number of worker threads');
  if (o.maxInFlightBatches !== 'auto') int(o.maxInFlightBatches, 'maxInFlightBatches', 1, "pass e.g. maxInFlightBatches: 4, or leave it out ('auto')");
  if (o.batchesPerTask !== 'auto') int(o.batchesPerTask, 'batchesPerTask', 1, "pass e.g. batchesPerTask: 1, or leave it out ('auto')");
  int(o.retries, 'retries', 0, 'pass e.g. retries: 2');
  if (!(o.taskTimeoutMs > 0)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `taskTimeoutMs must be positive, got ${o.taskTimeoutMs}`, { fix: 'pass e.g. taskTimeoutMs: 60_000, or leave it out for no limit' });
  if (!(o.maxInFlightBytes > 0)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `maxInFlightBytes must be positive, got ${o.maxInFlightBytes}`, { fix: 'pass e.g. maxInFlightBytes: 64 * 2 ** 20' });
  if (o.workerHeapMb !== undefined) int(o.workerHeapMb, 'workerHeapMb', MIN_WORKER_HEAP_MB, 'pass e.g. workerHeapMb: 1024 (MB per worker), or leave it out for the default (half the machine\'s memory shared by the workers)');
  if (typeof o.ordered !== 'boolean') throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `ordered must be a boolean, got ${String(o.ordered)}`, { fix: 'pass ordered: false to take batches as they finish' });
}

/** Options of compute() that choose how stages run (all optional). */
export interface ParallelOptions {
  /** Worker threads: a number (0 = in-process) or 'auto' (default; see chooseWorkers). */
  readonly workers?: number | 'auto';
  readonly ordered?: boolean;
  /** Batches dispatched but not yet consumed, per stage (default 'auto': 4 tasks per worker). */
  readonly maxInFlightBatches?: number | 'auto';
  /**
   * Batches sent to a worker in one task (default 'auto': batches that take a worker less than
   * ~8 ms are grouped (~16 ms of work per task, up to 64 batches), so a hop's fixed cost is shared; slower batches go alone).
   */
  readonly batchesPerTask?: number | 'auto';
  readonly maxInFlightBytes?: number;
  readonly retries?: number;
  /** Longest time one batch may run on a worker, ms (default: no limit). */
  readonly taskTimeoutMs?: number;
  /**
   * Each worker's JS heap limit, MB (V8 old generation, as `--max-old-space-size` per worker; default:
   * half the machine's memory shared by the workers, at most this thread's limit). A batch that
   * fills it stops its worker and is retried, then fails with MF_WORKER.
   */
  readonly workerHeapMb?: number;
  readonly progress?: ProgressObserver;
}

const TEST_FILE = /\.test(-d)?\.[cm]?[jt]s$/;

/** Declared work per batch (µs) below which 'auto' keeps a stage in-process: less than a hop costs. */
const HOP_WORTH_US = 1000;

/**
 * The worker count for `workers: 'auto'`: the machine's cores, except when a pool cannot help —
 * no stage runs ops (expressions are cheaper than a hop), the whole input is known to fit in one
 * batch, a batch is declared less work than its hop, the input is known to be too little work to
 * pay for starting the pool (when none runs yet), or an op lives in a module a worker must not
 * import (a test file would run its tests again in the worker; a non-file URL cannot be imported
 * there). MODAFLOW_WORKERS overrides it.
 */
export function chooseWorkers(root: PlanNode, physical: PhysicalPlan, batchSize: number, batchSizeAuto = false, workerHeapMb?: number): number {
  const env = process.env['MODAFLOW_WORKERS'];
  if (env !== undefined && env !== '' && Number.isInteger(Number(env)) && Number(env) >= 0) return Number(env);
  const worker = physical.stages.filter((s) => s.onWorkers);
  if (worker.length === 0) return 0;
  const rows = totalRows(root, 1);
  const batchRows = (s: Stage) => (batchSizeAuto && s.batchRows !== undefined ? Math.min(s.batchRows, batchSize) : batchSize);
  // One batch in all (a hop only adds latency) — counting the smaller batches of costly stages.
  if (rows !== null && worker.every((s) => rows <= batchRows(s))) return 0;
  // Ops declared so cheap that a batch is less work than its hop (copying it out and back, waking
  // a thread): in-process is faster.
  if (worker.every((s) => s.costPerRow * Math.min(batchRows(s), rows ?? Infinity) < HOP_WORTH_US)) return 0;
  // A small job when no pool runs yet: the time the workers would save (the declared work of the
  // whole input, less its share on one thread) is less than starting them costs. Only when every op
  // declares its cost: an op left at the default guess (1 µs per row) may be far costlier, and a
  // stage kept in-process is never moved to the pool mid-run.
  const cores = defaultWorkers();
  if (rows !== null && cores > 1 && !poolStarted(cores, workerHeapMb) && worker.every((s) => s.costDeclared)) {
    const work = worker.reduce((us, s) => us + s.costPerRow * rows, 0);
    if (work * (1 - 1 / cores) < poolStartUs()) return 0;
  }
  for (const s of worker) {
    for (const n of s.nodes) {
      if (n.kind !== 'map') continue;
      if (!n.call.module.startsWith('file:') || TEST_FILE.test(n.call.module)) return 0;
    }
  }
  return defaultWorkers();
}

/** The executor for a run: resolves defaults of the parallel options. */
export function createExecutor(root: PlanNode, opts: ExecOptions, p: ParallelOptions = {}): StageExecutor {
  const physical = planPhysical(root);
  const workers = p.workers === undefined || p.workers === 'auto' ? chooseWorkers(root, physical, opts.batchSize, opts.batchSizeAuto === true, p.workerHeapMb) : p.workers;
  return new StageExecutor(root, opts, {
    workers,
    ordered: p.ordered ?? true,
    // 'auto': 4 tasks per worker, enough to hide a round trip behind the next task on every worker.
    maxInFlightBatches: p.maxInFlightBatches ?? 'auto',
    batchesPerTask: p.batchesPerTask ?? 'auto',
    maxInFlightBytes: p.maxInFlightBytes ?? 256 * 2 ** 20,
    retries: p.retries ?? 2,
    taskTimeoutMs: p.taskTimeoutMs ?? Infinity,
    // (Left out: the default depends on the worker count; see StageExecutor.heapMb.)
    ...(p.workerHeapMb !== undefined ? { workerHeapMb: p.workerHeapMb } : {}),
    // The engine chose the worker count (not the caller, nor MODAFLOW_WORKERS): it may also
    // choose to run a stage in-process when the pool measures slower.
    adaptive: (p.workers === undefined || p.workers === 'auto') && !process.env['MODAFLOW_WORKERS'],
    ...(p.progress ? { progress: p.progress } : {}),
  }, physical);
}
