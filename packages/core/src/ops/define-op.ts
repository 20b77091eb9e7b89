// defineOp: an op is defined once — name, the module that exports it, plain-data params, input and
// output dtypes, declared properties and a vectorized kernel. A use of an op in a plan is an
// OpCall: (name, module, params) only, so a worker can re-create it by importing the module.
import type { MaskScan } from '../exec/chunk.ts';
import type * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import type { Chunk } from '../exec/chunk.ts';
import type { RowFailure } from '../plan/logical-plan.ts';
import type { Rng } from './random.ts';
import { InvalidArgumentError } from '../errors.ts';
import { registerOp, registerTableOp } from './registry.ts';

/** What the planner may assume about an op. Defaults: row-local, deterministic, no side effects. */
export interface OpProperties {
  /** Output row i depends only on input row i (and the op's params, seed and global stats). */
  readonly rowLocal: boolean;
  /** Same input row → same output. Seeded random ops count as deterministic. */
  readonly deterministic: boolean;
  /** The kernel may drop rows (returns `keep`). */
  readonly filters: boolean;
  /** The op does something besides computing its outputs (writes files, calls services). */
  readonly sideEffects: boolean;
  /** Estimated cost per row in microseconds; the planner orders work by it. */
  readonly costPerRow: number;
  /** For filtering ops: the expected fraction of rows kept. */
  readonly selectivity?: number;
}

export const DEFAULT_PROPERTIES: OpProperties = {
  rowLocal: true,
  deterministic: true,
  filters: false,
  sideEffects: false,
  costPerRow: 1,
};

/** The batch as a kernel sees it. */
export interface KernelInput {
  readonly numRows: number;
  /** Schema of the whole input batch (all columns, not only the op's inputs). */
  readonly schema: Schema;
  /** Column data (one contiguous Arrow Data per column). */
  data(name: string): arrow.Data;
  /** Column values as JS values (null for null). Convenient; use data() on hot paths. */
  values(name: string): unknown[];
  /** Source row id of each row: the key of seeded randomness and of error reports. */
  readonly rowIds: Float64Array;
}

export interface RowErrorOptions {
  column?: string;
  code?: string;
}

/** What a kernel can reach besides its input. */
export interface KernelContext<State = unknown, Stats = unknown> {
  readonly op: string;
  /** Per-worker state from `init`, created once per (op, params) and cached. */
  readonly state: State;
  /** Dataset-wide statistics from the op's `stats` phase (global ops only). */
  readonly stats: Stats;
  /** The run's seed (compute({ seed })), combined with the op's own `seed` param when present. */
  readonly seed: number;
  /** Marks row `row` (index in this batch) as bad; it is removed and handled by the error policy. */
  rowError(row: number, reason: string | Error, opts?: RowErrorOptions): void;
  /** The seeded generator of row `row` (index in this batch), keyed on (seed, op, source row id). */
  random(row: number): Rng;
  readonly signal: AbortSignal;
}

/** A column as a kernel may return it: Arrow data, or JS values / a typed array to be built. */
export type ColumnInput = arrow.Data | arrow.Vector | TypedArray | ArrayLike<unknown>;

export interface KernelResult {
  /** Output columns, each with one entry per input row. */
  readonly columns: { readonly [name: string]: ColumnInput };
  /** For filtering ops: which input rows to keep (indices ascending, or a 0/1 mask per row). */
  readonly keep?: Uint8Array | Uint32Array | readonly boolean[];
  /**
   * For filtering ops, optional: the scan of the kept rows, found by the kernel in the pass that
   * tested them (a vectorized kernel finds the runs for a fraction of what a second pass over a
   * mask costs). `kept` rows are kept; `runs` are their runs as [dst, src, length] triples in
   * order, or null when they are short — what a scan of `keep` would give; optionally `taken`: for
   * input columns the op does not replace, their kept values already gathered (a scalar column's
   * array type, one value per kept row; anything else is ignored). With runs, `keep` may be left
   * out: the runs say which rows stay. Without runs, `keep` (a 0/1 Uint8Array mask) is required.
   * The engine checks that the runs tile the kept rows, not that they agree with a mask sent beside
   * them: a kernel must make them agree (test it against the plain mask).
   */
  readonly keepScan?: MaskScan;
}

/** Dataset-wide statistics of a global op (z-score, min-max): accumulate, merge, finalize. */
export interface GlobalStats<P, Acc, Stats> {
  init(params: P): Acc;
  update(acc: Acc, input: KernelInput, params: P): Acc;
  merge(a: Acc, b: Acc, params: P): Acc;
  /** The result must be structured-cloneable (it is sent to workers). */
  finalize(acc: Acc, params: P): Stats;
}

export interface OpSpec<P, State = undefined, Stats = undefined> {
  /** Namespaced name: `image.resize`, `audio.mfcc`, `myproject.clean`. */
  readonly name: string;
  /** URL of the module that defines (and exports) the op: pass `import.meta.url`. */
  readonly module: string;
  readonly description?: string;
  /** Columns the op reads and the dtypes it needs, for the given params. */
  inputs(params: P): Schema;
  /** Columns the op writes (added, or replaced when the name exists), given params and input schema. */
  outputs(params: P, input: Schema): Schema;
  /** Columns the op removes from its input, if any. */
  removes?(params: P): readonly string[];
  properties?: Partial<OpProperties> | ((params: P) => Partial<OpProperties>);
  /** Throw an InvalidArgumentError for bad params; runs when the op is used in a plan. */
  validate?(params: P): void;
  /** Costly per-worker state (vocabularies, sessions): created once per (op, params) per thread. */
  init?(params: P): State | Promise<State>;
  /** Releases what `init` created when the pool shuts down. */
  dispose?(state: State): void | Promise<void>;
  kernel(input: KernelInput, params: P, ctx: KernelContext<State, Stats>): KernelResult | Promise<KernelResult>;
  /** Present for global ops: the planner splits them into a statistics stage and a row-local stage. */
  readonly stats?: GlobalStats<P, any, Stats>;
  /**
   * Optional: this op can absorb the op that directly follows it (decode + resize = shrink-on-load).
   * Return one call that computes what the two compute together (same output columns and dtypes),
   * or null to decline. Used by the planner's fold-into-op rule.
   */
  absorb?(params: P, next: OpCall<Schema, Schema, string>): OpCall<Schema, Schema, string> | null;
}

declare const phantomIn: unique symbol;
declare const phantomOut: unique symbol;
declare const phantomDrop: unique symbol;

/**
 * A use of an op: plain data. In (columns read), Out (columns written) and Drop (columns removed)
 * are compile-time only.
 */
export interface OpCall<In extends Schema = Schema, Out extends Schema = Schema, Drop extends string = never> {
  readonly kind: 'op-call';
  readonly op: string;
  readonly module: string;
  readonly params: unknown;
  readonly [phantomIn]?: In;
  readonly [phantomOut]?: Out;
  readonly [phantomDrop]?: Drop;
}

export interface OpDef<P, State = undefined, Stats = undefined> {
  readonly name: string;
  readonly module: string;
  readonly spec: OpSpec<P, State, Stats>;
  /** An untyped call; typed op factories wrap it (`def.call<{ x: Utf8 }, { y: Int32 }>(p)`). */
  call<In extends Schema = Schema, Out extends Schema = Schema, Drop extends string = never>(params: P): OpCall<In, Out, Drop>;
  properties(params: P): OpProperties;
  /** Whether the op declares its costPerRow for these params (else DEFAULT_PROPERTIES' guess applies). */
  declaresCost(params: P): boolean;
}

/** Checks params are plain data: no functions, class instances or symbols (workers get a copy). */
export function assertPlainData(value: unknown, op: string, path = 'params'): void {
  if (value === null || value === undefined) return;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return;
  if (t === 'function' || t === 'symbol') {
    throw new InvalidArgumentError('MF_NOT_SERIALIZABLE', `${path} is a ${t}; op params must be plain data`, {
      op,
      fix: 'pass data (numbers, strings, arrays, plain objects, typed arrays) and move the logic into the op kernel, or define your own op with defineOp in a module the workers can import',
    });
  }
  if (ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) { value.forEach((v, i) => assertPlainData(v, op, `${path}[${i}]`)); return; }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidArgumentError('MF_NOT_SERIALIZABLE', `${path} is an instance of ${proto?.constructor?.name ?? 'a class'}; op params must be plain data`, {
      op,
      fix: 'pass a plain object with the data the op needs',
    });
  }
  for (const [k, v] of Object.entries(value as object)) assertPlainData(v, op, `${path}.${k}`);
}

/**
 * Define an op. Call it at module top level in the module named by `module`, and export the result
 * (or a typed factory around it), so worker threads that import the module find it.
 *
 * @example
 * const def = defineOp<{ column: string; output: string }>({
 *   name: 'demo.upper', module: import.meta.url,
 *   inputs: (p) => ({ [p.column]: dt.utf8() }),
 *   outputs: (p) => ({ [p.output]: dt.utf8() }),
 *   kernel: (input, p) => ({ columns: { [p.output]: input.values(p.column).map((s) => (s as string | null)?.toUpperCase() ?? null) } }),
 * });
 * export const upper = <C extends string, O extends string>(p: { column: C; output: O }) =>
 *   def.call<{ [K in C]: Utf8 }, { [K in O]: Utf8 }>(p);
 */
export function defineOp<P, State = undefined, Stats = undefined>(spec: OpSpec<P, State, Stats>): OpDef<P, State, Stats> {
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i.test(spec.name)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `op name '${spec.name}' must be namespaced like 'image.resize'`, {
      fix: "use '<package-or-project>.<op>' with letters, digits, '-' and '_'",
    });
  }
  if (typeof spec.module !== 'string' || spec.module.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `op '${spec.name}' has no module`, { fix: 'pass module: import.meta.url' });
  }
  /** The properties the op itself declares for these params. */
  const declared = (params: P): Partial<OpProperties> => (typeof spec.properties === 'function' ? spec.properties(params) : (spec.properties ?? {}));
  const def: OpDef<P, State, Stats> = {
    name: spec.name,
    module: spec.module,
    spec,
    call<In extends Schema, Out extends Schema, Drop extends string = never>(params: P): OpCall<In, Out, Drop> {
      assertPlainData(params, spec.name);
      spec.validate?.(params);
      return Object.freeze({ kind: 'op-call', op: spec.name, module: spec.module, params }) as OpCall<In, Out, Drop>;
    },
    properties(params: P): OpProperties {
      return { ...DEFAULT_PROPERTIES, ...declared(params) };
    },
    declaresCost(params: P): boolean {
      return declared(params).costPerRow !== undefined;
    },
  };
  registerOp(def as OpDef<unknown, unknown, unknown>);
  return def;
}

/** A multi-input, whole-dataset op (as-of join, sort-merge): inputs are materialized first. */
export interface TableOpSpec<P> {
  readonly name: string;
  readonly module: string;
  readonly description?: string;
  /** Number of input datasets. */
  readonly arity: number;
  outputs(params: P, inputs: readonly Schema[]): Schema;
  validate?(params: P, inputs: readonly Schema[]): void;
  /**
   * Runs on the whole inputs; returns the whole output (row ids come from the output chunk), or
   * the output with the rows it removed on purpose and its bad rows (TableOpResult).
   */
  run(inputs: readonly Chunk[], params: P, ctx: { readonly signal: AbortSignal; readonly seed: number }): Chunk | TableOpResult | Promise<Chunk | TableOpResult>;
}

/** A table op's output, with what it did not pass on: so that no row leaves a run uncounted. */
export interface TableOpResult {
  readonly chunk: Chunk;
  /** Rows removed on purpose (late samples, say): counted under the run report's `filtered`. */
  readonly filtered?: number;
  /** Bad rows, handled by the run's error policy (fail / skip / quarantine) as a map op's row errors are. */
  readonly failures?: readonly RowFailure[];
}

export interface TableOpDef<P> {
  readonly name: string;
  readonly module: string;
  readonly spec: TableOpSpec<P>;
  call<Out extends Schema = Schema>(params: P): TableOpCall<Out>;
}

export interface TableOpCall<Out extends Schema = Schema> {
  readonly kind: 'table-op-call';
  readonly op: string;
  readonly module: string;
  readonly params: unknown;
  readonly [phantomOut]?: Out;
}

/** Define a whole-dataset op over one or more inputs; used with `Dataset.apply`. */
export function defineTableOp<P>(spec: TableOpSpec<P>): TableOpDef<P> {
  const def: TableOpDef<P> = {
    name: spec.name,
    module: spec.module,
    spec,
    call<Out extends Schema>(params: P): TableOpCall<Out> {
      assertPlainData(params, spec.name);
      return Object.freeze({ kind: 'table-op-call', op: spec.name, module: spec.module, params }) as TableOpCall<Out>;
    },
  };
  registerTableOp(def as TableOpDef<unknown>);
  return def;
}

/** A dtype check helper for op `validate` functions. */
export type DTypeLike = DType;
