// The worker entry (a piscina handler): rebuild the batch from its buffers, run the stage's steps
// (ops are re-created from (module, name, params) and cached with their state by the registry and
// opState), and hand the result's buffers back by transfer.
import { Piscina } from 'piscina';
import { workerData } from 'node:worker_threads';
import { ModaflowError } from '../../errors.ts';
import { decodeChunk, encodeChunk } from './transfer.ts';
import { runSteps } from './run-steps.ts';
import type { BatchReply, StageReply, StageTask, WireError } from './protocol.ts';

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
  const batches: BatchReply[] = [];
  try {
    await ready;
  } catch (e) {
    const error = wireError(e);
    return { batches: task.chunks.map(() => ({ ok: false, error })) } satisfies StageReply;
  }
  const transferList: ArrayBuffer[] = [];
  for (const wire of task.chunks) {
    // A task that waited in this worker's queue while its run was cancelled does no work.
    if (task.cancelled && Atomics.load(task.cancelled, 0) !== 0) {
      batches.push({ ok: false, error: { name: 'AbortError', code: 'MF_ABORTED', message: 'the run was cancelled' } });
      continue;
    }
    const t0 = performance.now();
    try {
      const r = await runSteps(task.steps, decodeChunk(wire), task.seed);
      // Everything in the result is this worker's to give away: the batch arrived by transfer and
      // kernels return fresh arrays (see the kernel contract in the README).
      const enc = encodeChunk(r.chunk, true);
      for (const b of enc.transferList) transferList.push(b);
      batches.push({
        ok: true, chunk: enc.wire, failures: r.failures, steps: r.steps,
        workerMs: performance.now() - t0, bytesCopied: enc.bytes.copied, bytesTransferred: enc.bytes.transferred,
      });
    } catch (e) {
      batches.push({ ok: false, error: wireError(e) });
    }
  }
  const reply: StageReply = { batches };
  return transferList.length ? moved(reply, transferList) : reply;
}

/** Wrap a reply so piscina transfers `list` instead of cloning it. */
function moved(value: unknown, list: ArrayBuffer[]): unknown {
  return Piscina.move({
    get [Piscina.transferableSymbol]() { return list; },
    get [Piscina.valueSymbol]() { return value; },
  } as unknown as Parameters<typeof Piscina.move>[0]);
}
