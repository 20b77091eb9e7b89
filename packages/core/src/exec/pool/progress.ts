// Progress events of a run. Pass any rxjs Observer (a Subject, or `{ next }`) as
// `compute({ progress })`; events arrive synchronously as the run proceeds.

/** What a stage is: its fused steps and where it runs. */
export interface StageInfo {
  readonly id: number;
  readonly label: string;
  readonly onWorkers: boolean;
}

/** Rows, time and bytes of one op over one batch. */
export interface OpProgress {
  readonly nodeId: number;
  readonly name: string;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly timeMs: number;
}

export type ProgressEvent =
  | { readonly type: 'run-start'; readonly workers: number; readonly stages: readonly StageInfo[]; readonly totalRows: number | null }
  | { readonly type: 'stage-start'; readonly stage: number; readonly label: string }
  | {
      readonly type: 'batch-done';
      readonly stage: number;
      readonly seq: number;
      readonly rowsIn: number;
      readonly rowsOut: number;
      readonly bytesIn: number;
      readonly bytesOut: number;
      /** Column bytes copied before the hop to the worker and back (0 when everything was transferred). */
      readonly bytesCopied: number;
      readonly bytesTransferred: number;
      /** Time the task spent on the worker, ms. */
      readonly workerMs: number;
      /** Dispatch to result, ms (worker time plus queueing and messaging). */
      readonly roundTripMs: number;
      /** Time the task waited in the pool's queue or on the wire, ms (roundTrip − worker). */
      readonly queueWaitMs: number;
      readonly ops: readonly OpProgress[];
    }
  | { readonly type: 'batch-retry'; readonly stage: number; readonly seq: number; readonly attempt: number; readonly reason: string }
  | { readonly type: 'stage-done'; readonly stage: number; readonly batches: number; readonly rowsIn: number; readonly rowsOut: number }
  | { readonly type: 'run-done'; readonly rowsIn: number; readonly rowsOut: number; readonly wallMs: number; readonly error?: string };

/** Anything with `next`: an rxjs Subject or Observer. */
export interface ProgressObserver {
  next(e: ProgressEvent): void;
}
