// The messages between the coordinating thread and a worker: a stage task (the fused steps as
// plain data plus one batch) and its result. Shared by both sides; nothing here is a closure or a
// class instance, so it survives structured cloning.
import type { Schema } from '../../types/schema.ts';
import type { ExprNode } from '../../graph/expr.ts';
import type { ProjectItem, RowFailure } from '../../plan/logical-plan.ts';
import type { WireChunk } from './transfer.ts';

/** One fused step. Ops are named by (op, module, params): the worker imports the module. */
export type StepSpec =
  | { readonly kind: 'map'; readonly nodeId: number; readonly op: string; readonly module: string; readonly params: unknown; readonly inputSchema: Schema; readonly stats?: unknown }
  | { readonly kind: 'filter'; readonly nodeId: number; readonly predicate: ExprNode }
  | { readonly kind: 'project'; readonly nodeId: number; readonly items: readonly ProjectItem[]; readonly schema: Schema };

export interface StageTask {
  readonly steps: readonly StepSpec[];
  readonly seed: number;
  readonly chunk: WireChunk;
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

export type StageReply =
  | { readonly ok: true; readonly chunk: WireChunk; readonly failures: readonly RowFailure[]; readonly steps: readonly StepStats[]; readonly workerMs: number; readonly bytesCopied: number; readonly bytesTransferred: number }
  | { readonly ok: false; readonly error: WireError };
