// The training-batch loader behind `ds.batches()`: the epoch's row order (shuffle), batches (plain
// or bucketed), collation (stack, pad, mask), output form, prefetch, and a resumable position.
//
// Resume replays: a loader created from `state()` recomputes the epoch's row order (the upstream
// pipeline runs again from its start) and skips the batches already delivered without collating
// them, checking the skipped rows against the state's checksum. This is exact because every order
// decision is a pure function of (seed, epoch, row ids, row sequence).
import type * as arrow from 'apache-arrow';
import type { Schema, RowOf } from '../types/schema.ts';
import type { Chunk } from '../exec/chunk.ts';
import { concatChunks, takeChunk } from '../exec/chunk.ts';
import { getValue } from '../exec/column.ts';
import type { RunReport } from '../exec/report.ts';
import type { ComputeOptions } from '../graph/dataset.ts';
import { AbortError, InvalidArgumentError } from '../errors.ts';
import type {
  ArrowBatch, BatchInfo, BatchOptions, CollateInput, LoaderPlan, LoaderReport, LoaderState, OrtBatch, PaddingStats, TypedBatch,
} from './batch-options.ts';
import { checkResume, loaderConfig, planLoader } from './batch-options.ts';
import type { RowRef } from './order-rows.ts';
import { orderRows } from './order-rows.ts';
import { groupBatches } from './group-batches.ts';
import type { BatchPadding } from './collate.ts';
import { collateRows } from './collate.ts';
import { batchArrowSchema, toRecordBatch } from './to-arrow.ts';
import { toOrtTensors } from './to-ort.ts';
import { prefetch } from './prefetch.ts';
import { hashString, rowRng } from '../ops/random.ts';

/** What the loader needs from a Dataset (kept structural so this module does not import it). */
export interface ChunkSource<S extends Schema> {
  resolveSchema(): Promise<S>;
  chunks(opts?: ComputeOptions, onReport?: (r: RunReport) => void): AsyncIterable<Chunk>;
}

/** Folds row ids into an order-dependent 32-bit hash (not random numbers: a checksum). */
export function checksumRows(h: number, rowIds: ArrayLike<number>): number {
  for (let k = 0; k < rowIds.length; k++) {
    const id = rowIds[k]!;
    h = Math.imul(h ^ (id >>> 0), 0x9e3779b1);
    h = Math.imul(h ^ Math.floor(id / 4294967296), 0x85ebca6b);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

interface Produced<T> {
  readonly value: T;
  readonly epoch: number;
  readonly rowIds: Float64Array;
  readonly padding: BatchPadding | null;
  /** The epoch's last batch: delivering it moves the state to the next epoch. */
  readonly last: boolean;
}

/**
 * An async iterable of training batches with a resumable position. Iterating continues from the
 * current position: break out of a for-await loop and iterate again to carry on.
 *
 * @example
 * const loader = ds.batches({ batchSize: 32, shuffle: 'full', seed: 1, bucketBy: 'input_ids' });
 * for await (const b of loader) train(b.columns.input_ids.data, b.columns.input_ids.mask);
 * const saved = loader.state();   // JSON; ds.batches({ ...same options, resume: saved }) continues
 */
export class BatchLoader<T> implements AsyncIterable<T> {
  private readonly source: ChunkSource<Schema>;
  private readonly opts: BatchOptions<Schema, unknown>;
  private plan: LoaderPlan | undefined;
  private pos: LoaderState | undefined;
  private running = false;
  private delivered = 0;
  private deliveredRows = 0;
  private readonly pad: Record<string, { real: number; padded: number }> = {};
  private upstreamReport: RunReport | undefined;

  /** @internal use `ds.batches(opts)`. */
  constructor(source: ChunkSource<Schema>, opts: BatchOptions<Schema, unknown>, schema?: Schema) {
    this.source = source;
    this.opts = opts;
    if (schema) this.init(schema); // validate eagerly when the schema is known without I/O
  }

  private init(schema: Schema): LoaderPlan {
    if (this.plan) return this.plan;
    const plan = planLoader(schema, this.opts);
    const start: LoaderState = { version: 1, epoch: plan.firstEpoch, batch: 0, rows: 0, checksum: 0, config: plan.config };
    if (this.opts.resume) {
      checkResume(this.opts.resume, plan.config);
      const r = this.opts.resume;
      this.pos = { version: 1, epoch: r.epoch, batch: r.batch, rows: r.rows, checksum: r.checksum, config: plan.config };
    } else {
      this.pos = start;
    }
    this.plan = plan;
    return plan;
  }

  /** The position after the batches delivered so far: pass it as `resume` to continue exactly there. */
  state(): LoaderState {
    if (!this.pos) {
      // Schema not resolved yet (a file source): nothing delivered, so the start position.
      const { config, firstEpoch } = loaderConfig(this.opts);
      if (this.opts.resume) checkResume(this.opts.resume, config);
      const r = this.opts.resume;
      return r ? { ...r, config } : { version: 1, epoch: firstEpoch, batch: 0, rows: 0, checksum: 0, config };
    }
    return { ...this.pos, config: { ...this.pos.config, bucketBy: this.pos.config.bucketBy && { ...this.pos.config.bucketBy } } };
  }

  /** Batches and rows delivered, padding waste per padded column, and the upstream run's report. */
  report(): LoaderReport {
    const padding: Record<string, PaddingStats> = {};
    for (const [k, v] of Object.entries(this.pad)) padding[k] = { real: v.real, padded: v.padded, waste: v.padded ? (v.padded - v.real) / v.padded : 0 };
    return { batches: this.delivered, rows: this.deliveredRows, padding, upstream: this.upstreamReport };
  }

  /** The Arrow schema of this loader's batches in the 'arrow' output (the schema of its IPC stream). */
  async arrowSchema(): Promise<arrow.Schema> {
    const plan = this.init(await this.source.resolveSchema());
    return arrowSchemaOf(plan);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    if (this.running) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'this loader is already being iterated', {
        op: 'batches', fix: 'iterate one loader at a time; create a second loader with ds.batches() for a parallel stream',
      });
    }
    this.running = true;
    try {
      const plan = this.init(await this.source.resolveSchema());
      const produced = prefetch(this.produce(plan, this.pos!)[Symbol.asyncIterator](), plan.prefetch);
      for await (const p of produced) {
        this.deliver(p);
        yield p.value;
      }
    } finally {
      this.running = false;
    }
  }

  private deliver(p: Produced<T>): void {
    const pos = this.pos!;
    this.delivered++;
    this.deliveredRows += p.rowIds.length;
    if (p.padding) {
      for (const [k, v] of Object.entries(p.padding)) {
        const acc = (this.pad[k] ??= { real: 0, padded: 0 });
        acc.real += v.real;
        acc.padded += v.padded;
      }
    }
    this.pos = p.last
      ? { version: 1, epoch: p.epoch + 1, batch: 0, rows: 0, checksum: 0, config: pos.config }
      : { version: 1, epoch: p.epoch, batch: pos.batch + 1, rows: pos.rows + p.rowIds.length, checksum: checksumRows(pos.checksum, p.rowIds), config: pos.config };
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw new AbortError('MF_ABORTED', 'the loader was cancelled', { op: 'batches', fix: 'this is the result of AbortSignal; create a new loader (resume from state()) to continue' });
  }

  /** Batches from `from` to the end of the last epoch, not yet delivered. */
  private async *produce(plan: LoaderPlan, from: LoaderState): AsyncGenerator<Produced<T>> {
    const arrowSchema = plan.output === 'arrow' && !this.opts.collate ? arrowSchemaOf(plan) : undefined;
    for (let epoch = from.epoch; epoch < plan.endEpoch; epoch++) {
      const skip = epoch === from.epoch ? from.batch : 0;
      // The buffer shuffle and source order read the row sequence, so upstream batches must come
      // back in order; the full shuffle only reads row ids and takes them in any order.
      const up = {
        ...this.opts.upstream,
        ...(plan.config.shuffle !== 'full' ? { ordered: true } : {}),
        ...(this.opts.reseedPerEpoch ? { seed: epochSeed(this.opts.upstream?.seed ?? 0, epoch) } : {}),
        ...(this.opts.signal ? { signal: this.opts.upstream?.signal ? AbortSignal.any([this.opts.upstream.signal, this.opts.signal]) : this.opts.signal } : {}),
      };
      const chunks = this.source.chunks(up, (r) => { this.upstreamReport = r; });
      let index = 0, skippedRows = 0, sum = 0;
      let held: RowRef[] | undefined;
      const emit = async (rows: RowRef[], last: boolean): Promise<Produced<T>> => {
        const out = await this.collate(plan, rows, epoch, index, arrowSchema);
        return { ...out, epoch, last };
      };
      for await (const rows of groupBatches(orderRows(chunks, plan.config, epoch), plan.config, epoch)) {
        this.checkAbort();
        if (index < skip) {
          // Replaying a resumed epoch: verify the skipped rows instead of collating them.
          const ids = rows.map((r) => r.c.rowIds[r.i]!);
          sum = checksumRows(sum, ids);
          skippedRows += ids.length;
          index++;
          if (index === skip) this.verifyReplay(from, skippedRows, sum);
          continue;
        }
        // Hold one batch back, so the last batch of the epoch is known to be last.
        if (held) { yield await emit(held, false); index++; }
        held = rows;
      }
      if (index < skip) this.verifyReplay(from, skippedRows, sum, index);
      if (held) yield await emit(held, true);
    }
  }

  private verifyReplay(from: LoaderState, rows: number, sum: number, batches = from.batch): void {
    if (batches === from.batch && rows === from.rows && sum === from.checksum) return;
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT',
      `resuming epoch ${from.epoch} at batch ${from.batch}: the replayed epoch has ${batches < from.batch ? `only ${batches} batches` : 'other rows in its first batches'} than when the state was saved`, {
        op: 'batches', fix: 'resume with the same dataset, pipeline and upstream options (filters, shard, onError) that produced the state',
      });
  }

  private async collate(plan: LoaderPlan, rows: RowRef[], epoch: number, index: number, arrowSchema: arrow.Schema | undefined): Promise<Omit<Produced<T>, 'epoch' | 'last'>> {
    const rowIds = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) rowIds[k] = rows[k]!.c.rowIds[rows[k]!.i]!;
    const info: BatchInfo = { epoch, index, size: rows.length, rowIds };
    const hook = this.opts.collate;
    if (hook) {
      let typed: TypedBatch | undefined;
      let chunk: Chunk | undefined;
      const input: CollateInput<Schema> = {
        ...info,
        schema: plan.schema,
        chunk: () => (chunk ??= gather(plan.schema, rows)),
        rows: () => rows.map(({ c, i }) => {
          const o: Record<string, unknown> = {};
          for (const k of Object.keys(plan.schema)) o[k] = getValue(plan.schema[k]!, c.columns[k]!, i);
          return o as RowOf<Schema>;
        }),
        typed: () => (typed ??= { ...info, columns: collateRows(plan.schema, plan.columns, rows).columns }),
      };
      return { value: (await hook(input)) as T, rowIds, padding: null };
    }
    const { columns, padding } = collateRows(plan.schema, plan.columns, rows);
    if (plan.output === 'ort') {
      const { tensors, values } = await toOrtTensors(columns);
      return { value: { ...info, tensors, values } satisfies OrtBatch as T, rowIds, padding };
    }
    if (plan.output === 'arrow') {
      return { value: { ...info, recordBatch: toRecordBatch(arrowSchema!, plan.columns, rows.length, columns) } satisfies ArrowBatch as T, rowIds, padding };
    }
    return { value: { ...info, columns } satisfies TypedBatch as T, rowIds, padding };
  }
}

/** The upstream op seed of an epoch under reseedPerEpoch. */
export function epochSeed(seed: number, epoch: number): number {
  return rowRng(seed, hashString('modaflow.loader.epoch-seed'), epoch).uint32();
}

function arrowSchemaOf(plan: LoaderPlan): arrow.Schema {
  return batchArrowSchema(plan.columns, new Map([['modaflow.batches', JSON.stringify(plan.config)]]));
}

/** The rows of a batch as one chunk, in batch order. */
function gather(schema: Schema, rows: readonly RowRef[]): Chunk {
  const parts: Chunk[] = [];
  let s = 0;
  while (s < rows.length) {
    const c = rows[s]!.c;
    let e = s;
    const idx: number[] = [];
    while (e < rows.length && rows[e]!.c === c) idx.push(rows[e++]!.i);
    parts.push(takeChunk(c, idx));
    s = e;
  }
  return concatChunks(schema, parts);
}

/** Create a loader over a dataset (what `ds.batches(opts)` calls). */
export function createBatchLoader<S extends Schema, T>(source: ChunkSource<S> & { readonly schema: S | null }, opts: BatchOptions<S, unknown>): BatchLoader<T> {
  return new BatchLoader<T>(source as unknown as ChunkSource<Schema>, opts as BatchOptions<Schema, unknown>, source.schema ?? undefined);
}
