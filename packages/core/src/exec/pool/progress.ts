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
      /** Time this batch spent on the worker, ms. */
      readonly workerMs: number;
      /**
       * Dispatch to result of the task that carried this batch, ms (the worker time of all its
       * batches plus queueing and messaging); the batches of one task share it.
       */
      readonly roundTripMs: number;
      /**
       * This batch's share of the time its task waited in the pool's queue or on the wire, ms: the
       * task's round trip less the worker time of all its batches, divided among its batches (so
       * the shares of one task add up to its wait; 0 for a batch run on this thread).
       */
      readonly queueWaitMs: number;
      readonly ops: readonly OpProgress[];
    }
  | { readonly type: 'batch-retry'; readonly stage: number; readonly seq: number; readonly attempt: number; readonly reason: string }
  | {
      readonly type: 'stage-done';
      readonly stage: number;
      readonly batches: number;
      readonly rowsIn: number;
      readonly rowsOut: number;
      /** This thread's time in the statistics pass of the stage's global op before its first batch, ms (0 without one). */
      readonly statisticsMs: number;
    }
  | { readonly type: 'run-done'; readonly rowsIn: number; readonly rowsOut: number; readonly wallMs: number; readonly error?: string };

/** Anything with `next`: an rxjs Subject or Observer. */
export interface ProgressObserver {
  next(e: ProgressEvent): void;
}
