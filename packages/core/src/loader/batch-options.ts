// Options, batch shapes and resume state of the training-batch loader, plus their validation. Kept
// apart from the loader so the Dataset type can name them without importing any loader code.
import type * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { dtypeToString, isNumeric } from '../types/dtype.ts';
import type { ColumnName, RowOf, Schema } from '../types/schema.ts';
import type { ComputeOptions } from '../graph/dataset.ts';
import type { RunReport } from '../exec/report.ts';
import type { Chunk } from '../exec/chunk.ts';
import { ColumnNotFoundError, DTypeMismatchError, InvalidArgumentError } from '../errors.ts';

/** 'buffer': tf.data's streaming buffer shuffle; 'full': a uniform permutation of the whole epoch; false: source order. */
export type ShuffleMode = 'buffer' | 'full' | false;
/** What each batch is: typed arrays with shapes, onnxruntime Tensors, or an Arrow record batch. */
export type BatchOutput = 'typed' | 'ort' | 'arrow';

/** A number for every padded column, or per column (a list of per-dimension values for var tensors). */
export type PerColumn<S extends Schema, V> = V | { readonly [K in ColumnName<S>]?: V };

/** Bucketing: rows of similar length go into the same batch. */
export interface BucketOptions<S extends Schema> {
  /** The column whose length (list length, bytes of a string, elements of a var tensor) is bucketed. */
  readonly column: ColumnName<S>;
  /** Rows are sorted by length within windows of this many batches (default 32). */
  readonly windowBatches?: number;
}

/** One column of a collated batch. */
export interface CollatedColumn {
  readonly dtype: DType;
  /** Row-major values: a typed array (bool as Uint8Array), or JS values for strings, binary, structs. */
  readonly data: TypedArray | unknown[];
  /** [batch, ...] — for padded columns [batch, ...padded dims]. */
  readonly shape: readonly number[];
  /** Padded columns: 1 where data is real, 0 where it is padding; same shape as data. */
  readonly mask?: Uint8Array;
  /** Padded columns: each row's length (lists: shape [batch]) or shape (var tensors: [batch, ndim]). */
  readonly lengths?: Int32Array;
  /** Present when the batch has nulls in this column: 1 valid, 0 null (a null row is all padding / zeros). */
  readonly valid?: Uint8Array;
}

/** What every batch knows about itself. */
export interface BatchInfo {
  readonly epoch: number;
  /** Index of the batch within its epoch. */
  readonly index: number;
  /** Rows in the batch. */
  readonly size: number;
  /** Source row id of each row, in batch order. */
  readonly rowIds: Float64Array;
}

/** A batch as typed arrays with shapes (output 'typed', the default). */
export interface TypedBatch<S extends Schema = Schema> extends BatchInfo {
  readonly columns: { readonly [K in keyof S]: CollatedColumn };
}

/** A batch of onnxruntime-node Tensors (output 'ort'): feeds `name`, `name_mask`, `name_lengths`, `name_valid`. */
export interface OrtBatch extends BatchInfo {
  /** Tensors by feed name; pass (a selection of) them to `session.run`. */
  readonly tensors: { readonly [name: string]: import('onnxruntime-node').Tensor };
  /** Columns that have no tensor form (binary, structs, lists of strings), as JS values. */
  readonly values: { readonly [name: string]: unknown[] };
}

/** A batch as an Arrow record batch (output 'arrow'); every batch of a loader has the same schema. */
export interface ArrowBatch extends BatchInfo {
  readonly recordBatch: arrow.RecordBatch;
}

/** What a custom collate hook receives. */
export interface CollateInput<S extends Schema> extends BatchInfo {
  readonly schema: S;
  /** The batch's rows as one chunk of Arrow columns, in batch order. */
  chunk(): Chunk;
  /** The batch's rows as JS objects. */
  rows(): RowOf<S>[];
  /** The default collation (stacking and padding as configured). */
  typed(): TypedBatch<S>;
}

/** A custom collate hook: turns the rows of one batch into whatever the training loop wants. */
export type CollateFn<S extends Schema, T> = (batch: CollateInput<S>) => T;

/** The resumable position of a loader: plain JSON, safe to store in a checkpoint. */
export interface LoaderState {
  readonly version: 1;
  /** The epoch the next batch comes from. */
  readonly epoch: number;
  /** Batches of that epoch already delivered. */
  readonly batch: number;
  /** Rows of that epoch already delivered. */
  readonly rows: number;
  /** Order-dependent hash of the delivered row ids (checked on resume: same data, same order). */
  readonly checksum: number;
  /** The options that decide the order; a resumed loader must be created with the same ones. */
  readonly config: LoaderConfig;
}

/** The order-deciding options as recorded in a state. */
export interface LoaderConfig {
  readonly batchSize: number;
  readonly shuffle: ShuffleMode;
  readonly bufferSize: number;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly bucketBy: { readonly column: string; readonly windowBatches: number } | null;
}

/** Options of `ds.batches()`. */
export interface BatchOptions<S extends Schema = Schema, T = unknown> {
  /** Rows per batch. */
  readonly batchSize: number;
  /** Shuffle mode (default false). */
  readonly shuffle?: ShuffleMode;
  /** Buffer size of shuffle 'buffer' (default max(1024, 16 × batchSize)). */
  readonly bufferSize?: number;
  /** Seed of the shuffle and the bucketing (default 0). Each epoch reshuffles from (seed, epoch). */
  readonly seed?: number;
  /** First epoch (default 0). */
  readonly epoch?: number;
  /** Number of epochs to iterate (default 1). */
  readonly epochs?: number;
  /** Drop batches smaller than batchSize (default false). */
  readonly dropLast?: boolean;
  /** Batches computed ahead while the consumer works (default 2; 0 = none). */
  readonly prefetch?: number;
  /** Bucket rows by the length of a column to reduce padding. */
  readonly bucketBy?: ColumnName<S> | BucketOptions<S>;
  /** Pad variable-length columns to exactly this (a longer row is an error: padding never truncates). */
  readonly padTo?: PerColumn<S, number | readonly (number | null)[]>;
  /** Round padded lengths up to a multiple (default 1). A number applies to dim 0; a list per dim. */
  readonly padMultiple?: PerColumn<S, number | readonly number[]>;
  /** The padding value (default 0). */
  readonly padValue?: PerColumn<S, number>;
  /** Batch form (default 'typed'). Ignored when `collate` is given. */
  readonly output?: BatchOutput;
  /** A custom collate hook; its result is what the loader yields. */
  readonly collate?: CollateFn<S, T>;
  /** Options of the upstream run (its batch size, error policy, op seed, shard, workers). */
  readonly upstream?: ComputeOptions;
  /**
   * Give random upstream ops (augmentation) a new seed each epoch, derived from (upstream.seed,
   * epoch), so every epoch sees other augmentations, reproducibly (default false: same every epoch).
   */
  readonly reseedPerEpoch?: boolean;
  /** Continue from a saved `loader.state()`. */
  readonly resume?: LoaderState;
  /** Cancels the loader (and the upstream run). */
  readonly signal?: AbortSignal;
}

/** What a loader created with options O yields. */
export type BatchOf<S extends Schema, O> = O extends { readonly collate: CollateFn<S, infer T> }
  ? Awaited<T>
  : O extends { readonly output: 'ort' }
    ? OrtBatch
    : O extends { readonly output: 'arrow' }
      ? ArrowBatch
      : TypedBatch<S>;

/** Padding waste of one column: elements that are padding, over all elements of its batches. */
export interface PaddingStats {
  readonly real: number;
  readonly padded: number;
  /** (padded − real) / padded; 0 when nothing was padded. */
  readonly waste: number;
}

/** Counters of a loader, over the batches delivered so far. */
export interface LoaderReport {
  readonly batches: number;
  readonly rows: number;
  /** Padding per padded column (built-in collation only). */
  readonly padding: { readonly [column: string]: PaddingStats };
  /** The report of the last upstream run (rows in/out, skipped, quarantined…). */
  readonly upstream: RunReport | undefined;
}

/** How one column is collated. */
export type ColumnPlan =
  | { readonly kind: 'scalar'; readonly name: string; readonly dtype: DType }
  | { readonly kind: 'stack'; readonly name: string; readonly dtype: DType; readonly item: DType; readonly cell: readonly number[] }
  | { readonly kind: 'list'; readonly name: string; readonly dtype: DType; readonly item: DType; readonly padTo: number | null; readonly multiple: number; readonly value: number }
  | {
    readonly kind: 'varTensor'; readonly name: string; readonly dtype: DType; readonly item: DType; readonly ndim: number;
    readonly padTo: readonly (number | null)[]; readonly multiple: readonly number[]; readonly value: number;
  }
  | { readonly kind: 'values'; readonly name: string; readonly dtype: DType };

/** Normalized, validated options. */
export interface LoaderPlan {
  readonly schema: Schema;
  readonly config: LoaderConfig;
  readonly firstEpoch: number;
  readonly endEpoch: number;
  readonly prefetch: number;
  readonly output: BatchOutput;
  readonly columns: readonly ColumnPlan[];
}

function bad(reason: string, fix: string, column?: string): InvalidArgumentError {
  return new InvalidArgumentError('MF_INVALID_ARGUMENT', reason, { op: 'batches', ...(column !== undefined ? { column } : {}), fix });
}

function posInt(v: unknown, name: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw bad(`${name} must be an integer >= ${min}, got ${String(v)}`, `pass e.g. ${name}: ${Math.max(min, fallback)}`);
  }
  return v;
}

function perColumn<V>(opt: unknown, name: string, column: string, padded: ReadonlySet<string>, what: string): V | undefined {
  if (opt === undefined || opt === null) return undefined;
  if (typeof opt === 'number' || Array.isArray(opt)) return opt as V;
  if (typeof opt !== 'object') throw bad(`${what} must be a number or a record of columns`, `${what}: 8 or ${what}: { ${column}: 8 }`);
  for (const k of Object.keys(opt)) {
    if (!padded.has(k)) {
      throw bad(`${what} names column '${k}', which is not a padded column (padded: ${[...padded].join(', ') || 'none'})`, `name a list or var_tensor column of numbers`, k);
    }
  }
  void name;
  return (opt as Record<string, V>)[column];
}

/** Is this column padded (a list or var tensor of numbers)? */
function paddable(t: DType): boolean {
  if (t.kind === 'list') return isNumeric(t.item) || t.item.kind === 'bool';
  return t.kind === 'varTensor';
}

/** Validate options against the schema and normalize them. */
export function planLoader(schema: Schema, o: BatchOptions<Schema, unknown>): LoaderPlan {
  const { config, firstEpoch, endEpoch, prefetch, output } = loaderConfig(o);
  if (config.bucketBy) {
    const b = config.bucketBy;
    const t = schema[b.column];
    if (!t) throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `bucketBy column '${b.column}' is not in the dataset`, { op: 'batches', column: b.column, fix: `use one of: ${Object.keys(schema).join(', ')}` });
    if (!['list', 'utf8', 'binary', 'varTensor'].includes(t.kind)) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `bucketBy needs a column with a length (list, utf8, binary, var_tensor); '${b.column}' is ${dtypeToString(t)}`, {
        op: 'batches', column: b.column, fix: 'bucket by a token-id list or a variable-shape tensor column',
      });
    }
  }
  return { schema, config, firstEpoch, endEpoch, prefetch, output, columns: planColumns(schema, o) };
}

/** The schema-independent part of the options, validated and with defaults. */
export function loaderConfig(o: BatchOptions<Schema, unknown>): Pick<LoaderPlan, 'config' | 'firstEpoch' | 'endEpoch' | 'prefetch' | 'output'> {
  if (!o || typeof o !== 'object') throw bad('batches() needs options', 'ds.batches({ batchSize: 32 })');
  const batchSize = posInt(o.batchSize, 'batchSize', 32);
  if (o.batchSize === undefined) throw bad('batchSize is required', 'ds.batches({ batchSize: 32 })');
  const shuffle = o.shuffle ?? false;
  if (shuffle !== false && shuffle !== 'buffer' && shuffle !== 'full') {
    throw bad(`shuffle must be 'buffer', 'full' or false, got ${JSON.stringify(shuffle)}`, "shuffle: 'full' when the row index fits in memory, 'buffer' to stream");
  }
  const bufferSize = posInt(o.bufferSize, 'bufferSize', Math.max(1024, 16 * batchSize));
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw bad(`seed must be an integer, got ${String(seed)}`, 'seed: 42');
  const firstEpoch = posInt(o.epoch, 'epoch', 0, 0);
  const epochs = posInt(o.epochs, 'epochs', 1, 0);
  const prefetch = posInt(o.prefetch, 'prefetch', 2, 0);
  const output = o.output ?? 'typed';
  if (output !== 'typed' && output !== 'ort' && output !== 'arrow') throw bad(`output must be 'typed', 'ort' or 'arrow', got ${JSON.stringify(output)}`, "output: 'ort'");
  if (o.collate !== undefined && typeof o.collate !== 'function') throw bad('collate must be a function (rows of one batch) => batch', 'collate: (b) => b.typed()');

  let bucketBy: LoaderConfig['bucketBy'] = null;
  if (o.bucketBy !== undefined) {
    const b = typeof o.bucketBy === 'string' ? { column: o.bucketBy } : o.bucketBy;
    if (!b || typeof b.column !== 'string') throw bad('bucketBy must be a column name or { column, windowBatches }', "bucketBy: 'input_ids'");
    bucketBy = { column: b.column, windowBatches: posInt(b.windowBatches, 'bucketBy.windowBatches', 32) };
  }
  return {
    config: { batchSize, shuffle, bufferSize, seed, dropLast: o.dropLast === true, bucketBy },
    firstEpoch,
    endEpoch: firstEpoch + epochs,
    prefetch,
    output,
  };
}

function planColumns(schema: Schema, o: BatchOptions<Schema, unknown>): ColumnPlan[] {

  const padded = new Set(Object.keys(schema).filter((k) => paddable(schema[k]!)));
  const columns: ColumnPlan[] = Object.keys(schema).map((name): ColumnPlan => {
    const t = schema[name]!;
    const padTo = perColumn<number | readonly (number | null)[]>(o.padTo, 'padTo', name, padded, 'padTo');
    const mult = perColumn<number | readonly number[]>(o.padMultiple, 'padMultiple', name, padded, 'padMultiple');
    const value = perColumn<number>(o.padValue, 'padValue', name, padded, 'padValue') ?? 0;
    if (typeof value !== 'number') throw bad(`padValue must be a number, got ${String(value)}`, 'padValue: 0', name);
    if (t.kind === 'list' && padded.has(name)) {
      const p = Array.isArray(padTo) ? padTo[0] ?? null : (padTo ?? null);
      const m = Array.isArray(mult) ? mult[0] ?? 1 : (mult ?? 1);
      checkPad(p, m, name);
      return { kind: 'list', name, dtype: t, item: t.item, padTo: p as number | null, multiple: m as number, value };
    }
    if (t.kind === 'varTensor') {
      const ps: (number | null)[] = [];
      const ms: number[] = [];
      for (let d = 0; d < t.ndim; d++) {
        const p = Array.isArray(padTo) ? (padTo[d] ?? null) : d === 0 ? (padTo ?? null) : null;
        const m = Array.isArray(mult) ? (mult[d] ?? 1) : d === 0 ? (mult ?? 1) : 1;
        checkPad(p, m, name);
        ps.push(p as number | null);
        ms.push(m as number);
      }
      return { kind: 'varTensor', name, dtype: t, item: t.item, ndim: t.ndim, padTo: ps, multiple: ms, value };
    }
    if (isNumeric(t) || t.kind === 'bool' || t.kind === 'timestamp') return { kind: 'scalar', name, dtype: t };
    if (t.kind === 'tensor') return { kind: 'stack', name, dtype: t, item: t.item, cell: t.shape };
    if (t.kind === 'fixedSizeList' && (isNumeric(t.item) || t.item.kind === 'timestamp')) return { kind: 'stack', name, dtype: t, item: t.item, cell: [t.size] };
    return { kind: 'values', name, dtype: t };
  });
  // A padded column's companions must not collide with real columns in the feed / Arrow forms.
  for (const c of columns) {
    if (c.kind !== 'list' && c.kind !== 'varTensor') continue;
    for (const suffix of ['_mask', '_lengths']) {
      if (`${c.name}${suffix}` in schema) {
        throw bad(`column '${c.name}${suffix}' exists, but the loader names the ${suffix.slice(1)} of '${c.name}' so`, `rename or drop '${c.name}${suffix}' before batches()`, c.name);
      }
    }
  }
  return columns;
}

function checkPad(p: unknown, m: unknown, column: string): void {
  if (p !== null && (typeof p !== 'number' || !Number.isInteger(p) || p < 0)) throw bad(`padTo must be a non-negative integer, got ${String(p)}`, 'padTo: 128', column);
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) throw bad(`padMultiple must be a positive integer, got ${String(m)}`, 'padMultiple: 8', column);
}

/** Check that a saved state belongs to a loader with these options. */
export function checkResume(state: LoaderState, config: LoaderConfig): void {
  if (!state || typeof state !== 'object' || state.version !== 1 || typeof state.config !== 'object') {
    throw bad('resume is not a loader state', 'pass the object returned by loader.state() (JSON round trips are fine)');
  }
  const diffs: string[] = [];
  const a = state.config, b = config;
  for (const k of ['batchSize', 'shuffle', 'bufferSize', 'seed', 'dropLast'] as const) {
    if (a[k] !== b[k]) diffs.push(`${k}: state ${JSON.stringify(a[k])}, options ${JSON.stringify(b[k])}`);
  }
  if (JSON.stringify(a.bucketBy) !== JSON.stringify(b.bucketBy)) diffs.push(`bucketBy: state ${JSON.stringify(a.bucketBy)}, options ${JSON.stringify(b.bucketBy)}`);
  if (diffs.length) {
    throw bad(`the resume state was saved with other options (${diffs.join('; ')})`, 'create the resumed loader with the same batchSize, shuffle, bufferSize, seed, dropLast and bucketBy');
  }
}
