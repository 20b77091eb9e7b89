// The worker entry (a piscina handler): rebuild the batch from its buffers, run the stage's steps
// (ops are re-created from (module, name, params) and cached with their state by the registry and
// opState), and hand the result's buffers back by transfer.
import { Piscina } from 'piscina';
import { workerData } from 'node:worker_threads';
import { ModaflowError } from '../../errors.ts';
import { BatchEncoder, decodeBatches } from './transfer.ts';
import type { Chunk } from '../chunk.ts';
import type { RowFailure } from '../../plan/logical-plan.ts';
import { runSteps } from './run-steps.ts';
import { BATCH_STATS, STEP_STATS } from './protocol.ts';
import type { StageReply, StageTask, WireError } from './protocol.ts';

function wireError(e: unknown): WireError {
  if (e instanceof ModaflowError) {
    return {
      name: e.name, code: e.code, message: e.reason,
      ...(e.op !== undefined ? { op: e.op } : {}), ...(e.column !== undefined ? { column: e.column } : {}),
      ...(e.row !== undefined ? { row: e.row } : {}), ...(e.fix !== undefined ? { fix: e.fix } : {}),
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, code: 'MF_OP_FAILED', message: err.message };
}

// Under tsx, worker-boot.mjs registers tsx's ESM hooks before importing this module; when this
// module is loaded some other way (an older entry, a custom pool) it registers them itself.
const tsxApi = (workerData as { tsxEsmApi?: string } | undefined)?.tsxEsmApi;
const ready: Promise<unknown> = tsxApi && !(globalThis as { [k: symbol]: unknown })[Symbol.for('modaflow/tsx-esm')]
  ? import(tsxApi).then((m: { register(): unknown }) => m.register())
  : Promise.resolve();

// Tasks run one after another: a task queued behind another (piscina hands a worker up to two)
// starts when the one before it has finished, so `started` tells which one a dying worker was running.
let previous: Promise<unknown> = Promise.resolve();

/**
 * Runs one stage task: each of its batches in turn. Errors come back as data, per batch, so their
 * code and context survive the hop and the task's other batches still count.
 */
export default function runStageTask(task: StageTask): Promise<unknown> {
  const run = previous.then(() => runTask(task));
  previous = run.catch(() => {});
  return run;
}

async function runTask(task: StageTask): Promise<unknown> {
  if (task.started) Atomics.store(task.started, 0, 1);
  const n = task.data.count, nSteps = task.steps.length;
  const stride = BATCH_STATS + STEP_STATS * nSteps;
  // Plain numbers: they travel in the reply's pack (see BatchEncoder.finish), not an array of their own.
  const stats: number[] = new Array<number>(n * stride).fill(0);
  const failures: [number, RowFailure[]][] = [];
  const errors: [number, WireError][] = [];
  const out = new BatchEncoder(true);
  try {
    await ready;
  } catch (e) {
    const error = wireError(e);
    for (let i = 0; i < n; i++) errors.push([i, error]);
    const f = out.finish(stats);
    return moved({ data: f.wire, stats: f.trailer, failures, errors } satisfies StageReply, f.transferList);
  }
  const inputs = decodeBatches(task.data);
  for (let i = 0; i < n; i++) {
    // A task that waited in this worker's queue while its run was cancelled does no work.
    if (task.cancelled && Atomics.load(task.cancelled, 0) !== 0) {
      errors.push([i, { name: 'AbortError', code: 'MF_ABORTED', message: 'the run was cancelled' }]);
      continue;
    }
    const t0 = performance.now();
    try {
      const r = await runSteps(task.steps, inputs[i]!, task.seed);
      // Everything in the result is this worker's to give away: the batch arrived by transfer (or
      // as views of this message's pack, which are copied) and kernels return fresh arrays (see
      // the kernel contract in the README).
      const b = out.add(r.chunk);
      const at = i * stride;
      stats[at] = 1;
      stats[at + 1] = performance.now() - t0;
      stats[at + 2] = b.copied;
      stats[at + 3] = b.transferred;
      for (let j = 0; j < r.steps.length; j++) {
        const s = r.steps[j]!, k = at + BATCH_STATS + j * STEP_STATS;
        stats[k] = 1; stats[k + 1] = s.rowsIn; stats[k + 2] = s.rowsOut; stats[k + 3] = s.timeMs; stats[k + 4] = s.filtered;
      }
      if (r.failures.length > 0) failures.push([i, r.failures]);
    } catch (e) {
      errors.push([i, wireError(e)]);
    }
    inputs[i] = undefined as unknown as Chunk; // the input may be collected while the next batch runs
  }
  const { wire, transferList, trailer } = out.finish(stats);
  const reply: StageReply = { data: wire, stats: trailer, failures, errors };
  return moved(reply, transferList);
}

/** Wrap a reply so piscina transfers `list` instead of cloning it. */
function moved(value: unknown, list: ArrayBuffer[]): unknown {
  return Piscina.move({
    get [Piscina.transferableSymbol]() { return list; },
    get [Piscina.valueSymbol]() { return value; },
  } as unknown as Parameters<typeof Piscina.move>[0]);
}
