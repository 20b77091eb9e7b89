// The messages between the coordinating thread and a worker: a stage task (the fused steps as
// plain data plus one batch) and its result. Shared by both sides; nothing here is a closure or a
// class instance, so it survives structured cloning.
import type { Schema } from '../../types/schema.ts';
import type { ExprNode } from '../../graph/expr.ts';
import type { ProjectItem, RowFailure } from '../../plan/logical-plan.ts';
import type { WireBatches } from './transfer.ts';

/** One fused step. Ops are named by (op, module, params): the worker imports the module. */
export type StepSpec =
  | { readonly kind: 'map'; readonly nodeId: number; readonly op: string; readonly module: string; readonly params: unknown; readonly inputSchema: Schema; readonly stats?: unknown }
  | { readonly kind: 'filter'; readonly nodeId: number; readonly predicate: ExprNode }
  | { readonly kind: 'project'; readonly nodeId: number; readonly items: readonly ProjectItem[]; readonly schema: Schema };

/**
 * One task: the stage's steps and one or more batches. Small, quick batches travel several to a
 * task, so that a hop's fixed cost (waking a thread, a message each way) is shared by them.
 */
export interface StageTask {
  readonly steps: readonly StepSpec[];
  readonly seed: number;
  /** The batches (their columns as numbers and buffers; see transfer.ts). */
  readonly data: WireBatches;
  /** The run's cancel flag (shared memory): non-zero once the run is cancelled. */
  readonly cancelled?: Int32Array;
  /** Set (shared memory) by the worker when it starts the task: a task that dies unstarted was only queued. */
  readonly started?: Int32Array;
}

/** Rows and time of one step over one batch. */
export interface StepStats {
  readonly nodeId: number;
  readonly name: string;
  rowsIn: number;
  rowsOut: number;
  timeMs: number;
  /** Rows a filter step removed on purpose. */
  filtered: number;
}

/** An error thrown inside a worker, as plain data (class and custom fields do not survive cloning). */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly op?: string;
  readonly column?: string;
  readonly row?: number;
  readonly fix?: string;
}

/** Numbers per batch in a reply's `stats`, before the per-step numbers. */
export const BATCH_STATS = 4;
/** Numbers per step in a reply's `stats`: ran (0/1), rows in, rows out, ms, rows filtered. */
export const STEP_STATS = 5;

/**
 * A task's reply, as few objects as possible (a hop costs per object cloned). `stats` holds, per
 * batch of the task: ok (0/1), worker ms, bytes copied and bytes transferred (of the reply), then
 * per step of the stage STEP_STATS numbers (a step after one that emptied the batch did not run).
 */
export interface StageReply {
  /** The batches that succeeded, in task order. */
  readonly data: WireBatches;
  readonly stats: Float64Array;
  /** Rows that failed, by batch index (only batches with any). */
  readonly failures: readonly (readonly [number, readonly RowFailure[]])[];
  /** Batches that failed as a whole, by batch index. */
  readonly errors: readonly (readonly [number, WireError])[];
}
