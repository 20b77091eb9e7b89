// Workers killed on purpose: a thread that fills its V8 heap (thread OOM), a thread ended by an
// uncaught asynchronous error, and a run cancelled while a worker is deep in a long kernel. Each
// must be contained: the worker is replaced, the batch retried a bounded number of times then
// reported under the error policy — never a hang — and the pool serves the next run.
// (process.exit and taskTimeoutMs are covered in pool.test.ts.) The ops that kill a worker refuse
// to run on the main thread (test-ops.ts): every run here has workers ≥ 1.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import v8 from 'node:v8';
import { fromRows, dt, ModaflowError } from '../../src/index.ts';
import type { ErrorPolicy } from '../../src/index.ts';
import { WorkerError } from '../../src/errors.ts';
import { defaultWorkerHeapMb, getPool, poolStarted, shutdownPools } from '../../src/exec/pool/pool.ts';
import type { ProgressEvent } from '../../src/exec/pool/progress.ts';
import { rowsOf, tempDir } from '../helpers.ts';
import { affine, busy, oom, throwLater, where } from './test-ops.ts';

after(() => shutdownPools());

const XS = { x: dt.float64() } as const;
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ x: i }));
/** Small enough that a runaway op fills it in well under a second (a worker needs ~10–20 MB of it). */
const HEAP_MB = 64;
/** No test here may hang: a run that does not settle fails its test instead. */
const LIMIT = { timeout: 120_000 };

/** Batch-retry events of a run, as [seq, attempt]. */
function retryLog() {
  const seen: [number, number][] = [];
  return { seen, progress: { next: (e: ProgressEvent) => { if (e.type === 'batch-retry') seen.push([e.seq, e.attempt]); } } };
}

test('workerHeapMb is validated with a clear error and fix', async () => {
  const ds = fromRows(rows(4), XS).map(affine({ column: 'x', output: 'y', a: 1, b: 0 }));
  for (const bad of [8, 31, 64.5, Number.NaN]) {
    await assert.rejects(ds.compute({ workers: 1, workerHeapMb: bad }), (e: unknown) =>
      e instanceof ModaflowError && e.code === 'MF_INVALID_ARGUMENT' && /workerHeapMb must be an integer ≥ 32/.test(e.message) && /workerHeapMb: 1024/.test(e.fix ?? ''));
  }
  // Checked like its neighbours even when no pool would start.
  await assert.rejects(ds.compute({ workers: 0, workerHeapMb: 0 }), /workerHeapMb must be an integer ≥ 32/);
  assert.throws(() => getPool(1, 16), /workerHeapMb must be an integer ≥ 32/);
});

test('the default heap limit shares half the machine\'s memory between the workers, at most this thread\'s limit', () => {
  const own = Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  for (const n of [1, 2, 8, 64, 1024]) {
    const mb = defaultWorkerHeapMb(n);
    assert.ok(Number.isInteger(mb) && mb >= 32 && mb <= own, `${n} workers: ${mb} MB`);
    const share = Math.floor(totalmem() / 2 ** 20 / 2 / n);
    if (share >= 256 && share <= own) assert.equal(mb, share);
  }
});

test('pools are cached by worker count and heap limit', () => {
  const small = getPool(1, HEAP_MB);
  assert.equal(getPool(1, HEAP_MB), small);
  assert.equal(poolStarted(1, HEAP_MB), true);
  assert.notEqual(getPool(1, HEAP_MB + 1), small, 'a pool with another limit is another pool');
  assert.equal(getPool(1), getPool(1, defaultWorkerHeapMb(1)));
  assert.notEqual(getPool(1), small);
  assert.deepEqual(small.options.resourceLimits, { maxOldGenerationSizeMb: HEAP_MB });
});

test('a batch that fills its worker\'s heap (thread OOM) is retried a bounded number of times, then fails the run (onError: fail)', LIMIT, async () => {
  // Batch 1 (rows 10–19) fills the heap on every attempt; batch 0 is fine.
  const ds = fromRows(rows(20), XS).map(oom({ column: 'x', at: 13 }));
  const log = retryLog();
  await assert.rejects(ds.compute({ workers: 1, batchSize: 10, retries: 1, workerHeapMb: HEAP_MB, progress: log.progress }), (e: unknown) => {
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.code, 'MF_WORKER');
    assert.equal(e.op, 'exectest.oom');
    assert.equal(e.row, 10);
    assert.match(e.reason, /filled its heap, workerHeapMb: 64: .*out of memory.*; 1 retry failed too/);
    assert.match(e.fix ?? '', /workerHeapMb/);
    return true;
  });
  assert.deepEqual(log.seen, [[1, 1]]);
  assert.equal(getPool(1, HEAP_MB).threads.length, 1, 'the dead worker was replaced');
});

test('a thread OOM under onError skip and quarantine: the batch\'s rows are counted, the rest kept; retries as configured', LIMIT, async () => {
  const ds = fromRows(rows(20), XS).map(oom({ column: 'x', at: 13 }));
  const skipLog = retryLog();
  const skipped = await ds.compute({ workers: 1, batchSize: 10, workerHeapMb: HEAP_MB, onError: 'skip', progress: skipLog.progress });
  assert.deepEqual(rowsOf(skipped).map((r) => r['x']), rows(10).map((r) => r.x));
  assert.equal(skipped.report.skipped, 10);
  assert.deepEqual(skipped.report.errorsByCode, { MF_WORKER: 10 });
  assert.deepEqual(skipLog.seen, [[1, 1], [1, 2]], 'the default retries: 2');
  // retries: 0 — reported after the first death, without a retry.
  const qLog = retryLog();
  const q = await ds.compute({ workers: 1, batchSize: 10, retries: 0, workerHeapMb: HEAP_MB, onError: 'quarantine', progress: qLog.progress });
  assert.equal(q.numRows, 10);
  assert.equal(q.report.quarantined, 10);
  assert.deepEqual(qLog.seen, []);
  const quarantined = rowsOf(q.report.quarantine!);
  assert.deepEqual(quarantined.map((r) => r['source_row']), rows(10).map((r) => BigInt(r.x + 10)));
  assert.ok(quarantined.every((r) => /filled its heap, workerHeapMb: 64.*0 retries failed too/.test(r['message'] as string)), String(quarantined[0]!['message']));
});

test('after thread OOMs the pool serves the next run, on every worker', LIMIT, async () => {
  const ds = fromRows(rows(40), XS).map(affine({ column: 'x', output: 'y', a: 2, b: 1 })).map(where({ output: 'w' }));
  const t = await ds.compute({ workers: 1, batchSize: 10, workerHeapMb: HEAP_MB });
  assert.deepEqual(rowsOf(t).map((r) => r['y']), rows(40).map((r) => 2 * r.x + 1));
  assert.ok(rowsOf(t).every((r) => /^worker-\d+$/.test(r['w'] as string)));
  assert.equal(getPool(1, HEAP_MB).threads.length, 1);
  // Two workers, one of them killed by a heap blow-up mid-run: the others' batches are all kept.
  const q = await fromRows(rows(80), XS).map(oom({ column: 'x', at: 45 })).compute({ workers: 2, batchSize: 10, retries: 1, workerHeapMb: HEAP_MB, onError: 'skip' });
  assert.equal(q.numRows, 70);
  assert.equal(q.report.skipped, 10);
  assert.equal(getPool(2, HEAP_MB).threads.length, 2);
});

for (const how of ['timer', 'rejection'] as const) {
  const what = how === 'timer' ? 'thrown from a timer' : 'an unhandled rejection';
  const message = how === 'timer' ? /thrown later, from a timer/ : /rejected later, unhandled/;

  test(`a worker ended by an uncaught asynchronous error (${what}) is replaced; its batch is retried, then reported under every policy`, LIMIT, async () => {
    const ds = fromRows(rows(30), XS).map(throwLater({ column: 'x', how }));
    const log = retryLog();
    await assert.rejects(ds.compute({ workers: 1, batchSize: 30, retries: 1, progress: log.progress }), (e: unknown) => {
      assert.ok(e instanceof WorkerError, String(e));
      assert.equal(e.code, 'MF_WORKER');
      assert.equal(e.op, 'exectest.throw-later');
      assert.equal(e.row, 0);
      assert.match(e.reason, message);
      assert.match(e.reason, /1 retry failed too/);
      assert.ok(e.fix);
      return true;
    });
    assert.deepEqual(log.seen, [[0, 1]]);
    for (const onError of ['skip', 'quarantine'] as ErrorPolicy[]) {
      const r = await ds.compute({ workers: 1, batchSize: 30, retries: 1, onError });
      assert.equal(r.numRows, 0);
      assert.deepEqual(r.report.errorsByCode, { MF_WORKER: 30 });
      assert.equal(onError === 'skip' ? r.report.skipped : r.report.quarantined, 30);
    }
    const ok = await fromRows(rows(20), XS).map(affine({ column: 'x', output: 'y', a: 1, b: 1 })).compute({ workers: 1, batchSize: 10 });
    assert.deepEqual(rowsOf(ok).map((r) => r['y']), rows(20).map((r) => r.x + 1));
    assert.equal(getPool(1).threads.length, 1);
  });
}

test('AbortSignal cancels a run whose batch is deep in a long kernel at once, and frees the pool', LIMIT, async () => {
  const KERNEL_MS = 40_000; // (only a cancel that waits for the kernel would take this long)
  const dir = tempDir();
  const marker = join(dir, 'running');
  const ctrl = new AbortController();
  const run = fromRows(rows(8), XS).map(busy({ column: 'x', output: 'b', ms: KERNEL_MS, marker })).compute({ workers: 1, batchSize: 8, signal: ctrl.signal });
  const settled = run.then(() => 'resolved', (e: unknown) => e);
  // Wait until the kernel runs on a worker (start-up under tsx takes a while).
  const t0 = Date.now();
  while (!existsSync(marker) || readFileSync(marker, 'utf8') === '') {
    assert.ok(Date.now() - t0 < 60_000, 'the kernel never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  const spinning = `worker-${readFileSync(marker, 'utf8')}`;
  const ta = performance.now();
  ctrl.abort();
  const e = await settled;
  const cancelMs = performance.now() - ta;
  assert.ok(e instanceof ModaflowError && e.code === 'MF_ABORTED', String(e));
  // Not a timing test: it fails only if cancel waits for the kernel.
  assert.ok(cancelMs < KERNEL_MS / 2, `cancel took ${cancelMs.toFixed(0)} ms against a ${KERNEL_MS} ms kernel`);
  // The pool is free: a following run completes long before the kernel would have finished, on a
  // thread other than the one that spun (it was stopped and replaced).
  const next = await fromRows(rows(20), XS).map(where({ output: 'w' })).compute({ workers: 1, batchSize: 10 });
  const freeMs = performance.now() - ta;
  assert.equal(next.numRows, 20);
  assert.ok(freeMs < KERNEL_MS / 2, `the next run finished ${freeMs.toFixed(0)} ms after the abort, against a ${KERNEL_MS} ms kernel`);
  const threads = new Set(rowsOf(next).map((r) => r['w'] as string));
  assert.ok(!threads.has(spinning), `the next run ran on ${[...threads].join(', ')}, the cancelled kernel's thread was ${spinning}`);
  assert.equal(getPool(1).threads.length, 1, 'the pool is back to its configured size');
  rmSync(dir, { recursive: true, force: true });
});
