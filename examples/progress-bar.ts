// A terminal progress bar for long runs, driven by the executor's progress events.
//
//   const bar = progressBar();
//   const table = await ds.compute({ progress: bar });
//
// The bar counts rows entering the first stage (rows read from the sources, when the plan has no
// stage) against the sources' row count when it is known, and shows rows/s, workers, the bytes
// moved between threads and the busiest stage so far (its kernels' time, and a statistics pass once done).
import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressObserver } from '@modaflow/core';

export interface ProgressBarOptions {
  /** Where to draw (default: stderr, so stdout stays clean for data). */
  readonly stream?: NodeJS.WritableStream;
  /** Redraw at most this often, ms (default 100). */
  readonly fps?: number;
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;

/**
 * An observer to pass as `compute({ progress })` (or subscribe to an rxjs Subject of the events);
 * it draws a bar until the run ends.
 */
export function progressBar(opts: ProgressBarOptions = {}): ProgressObserver {
  const bar = new cliProgress.SingleBar({
    format: ' {bar} {percentage}% | {value}/{total} rows | {speed} rows/s | {workers} workers | moved {moved}, copied {copied} | busiest: {busiest}',
    stream: opts.stream ?? process.stderr,
    fps: 1000 / (opts.fps ?? 100),
    hideCursor: true,
    clearOnComplete: false,
    // Logs and CI are not terminals: print a line every few seconds there instead.
    noTTYOutput: true,
    notTTYSchedule: 2000,
  }, cliProgress.Presets.shades_classic);
  let firstStage: number | undefined;
  let t0 = 0, rows = 0, moved = 0, copied = 0, workers = 0, started = false;
  const busy = new Map<number, { label: string; ms: number }>();
  const payload = () => {
    let top = '-';
    let best = -1;
    for (const b of busy.values()) if (b.ms > best) { best = b.ms; top = b.label; }
    const secs = (performance.now() - t0) / 1000;
    return { speed: secs > 0 ? Math.round(rows / secs) : 0, workers, moved: mb(moved), copied: mb(copied), busiest: top };
  };
  const next = (e: ProgressEvent): void => {
    switch (e.type) {
      case 'run-start': {
        t0 = performance.now();
        workers = e.workers;
        firstStage = e.stages[0]?.id;
        for (const s of e.stages) busy.set(s.id, { label: s.label, ms: 0 });
        // An unknown total still gets a bar; it grows with the rows seen.
        bar.start(e.totalRows ?? 0, 0, payload());
        started = true;
        break;
      }
      case 'batch-done': {
        const b = busy.get(e.stage);
        if (b) b.ms += e.workerMs;
        moved += e.bytesTransferred + e.bytesCopied;
        copied += e.bytesCopied;
        if (e.stage === firstStage) {
          rows += e.rowsIn;
          if (rows > bar.getTotal()) bar.setTotal(rows);
          bar.update(rows, payload());
        }
        break;
      }
      case 'stage-done': {
        // A global op's statistics pass ran on this thread before the stage's first batch.
        const b = busy.get(e.stage);
        if (b) b.ms += e.statisticsMs;
        break;
      }
      case 'run-done': {
        if (!started) break;
        if (firstStage === undefined) { rows = e.rowsIn; bar.setTotal(rows); }
        bar.update(rows, payload());
        bar.stop();
        started = false;
        break;
      }
      default:
        break;
    }
  };
  return { next };
}
