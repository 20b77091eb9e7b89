// explain({ analyze: true }) counts the time a run spends on the coordinating thread — a global
// op's statistics pass, barriers such as joins — and names as the bottleneck what cost the run the
// most; progress events share a grouped task's queue wait among its batches.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, dt } from '../../src/index.ts';
import { shutdownPools } from '../../src/exec/pool/pool.ts';
import type { ProgressEvent } from '../../src/exec/pool/progress.ts';
import { affine, center, spin } from './test-ops.ts';

after(() => shutdownPools());

const XS = { x: dt.float64() } as const;

/** The analyzed line of a stage. */
function analyzed(text: string, stage: number): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`Stage ${stage} [`));
  assert.ok(at >= 0, text);
  const line = lines.slice(at + 1).find((l) => l.trimStart().startsWith('analyzed:'));
  assert.ok(line, text);
  return line;
}

const num = (re: RegExp, s: string): number => {
  const m = re.exec(s);
  assert.ok(m, `${re} in ${s}`);
  return Number(m[1]);
};

test('a run dominated by a statistics pass names its stage the bottleneck and shows the pass, per op and in its stage', async () => {
  const rows = Array.from({ length: 400 }, (_, i) => ({ x: i / 400 }));
  // Stage 1: a little kernel work; stage 2: 8 batches × 10 ms of statistics on this thread, a cheap kernel.
  const ds = fromRows(rows, XS)
    .map(spin({ column: 'x', output: 'y', iters: 200 }))
    .map(center({ column: 'y', output: 'z', statsMs: 10 }));
  const events: ProgressEvent[] = [];
  const t = await ds.compute({ workers: 0, batchSize: 50, progress: { next: (e) => events.push(e) } });
  assert.equal(t.numRows, 400);
  const text = ds.explain({ analyze: true });
  assert.match(text, /cost = thread time spent/, 'the figure is explained');
  const s1 = analyzed(text, 1), s2 = analyzed(text, 2);
  assert.match(text, /Stage 2 \[in-process, after a statistics barrier\]/, text);
  assert.doesNotMatch(s1, /← bottleneck/, text);
  assert.match(s2, /← bottleneck/, text);
  assert.equal((text.match(/← bottleneck/g) ?? []).length, 1, text);
  // In its stage: the statistics pass, at least the 80 ms it spun.
  const stats = num(/statistics ([\d.]+)/, s2);
  assert.ok(stats >= 75, text);
  assert.match(text, /Map exectest\.center\([^)]*\)  \[statistics pass [\d.]+ ms on this thread\]/, text);
  // Per op: the report's node carries the pass (part of the op's time).
  const op = t.report.nodes.find((n) => n.name === 'exectest.center')!;
  assert.ok(op.statsMs !== undefined && op.statsMs >= 75, JSON.stringify(op));
  // And in the progress events.
  const done = events.find((e): e is Extract<ProgressEvent, { type: 'stage-done' }> => e.type === 'stage-done' && e.stage === 2)!;
  assert.ok(done.statisticsMs >= 75, JSON.stringify(done));
});

test("a statistics pass does not count its input's time (the stage it waited for)", async () => {
  const rows = Array.from({ length: 800 }, (_, i) => ({ x: i / 800 }));
  // Stage 1: ~100 ms of kernels on workers; stage 2: a mean over 800 rows (well under a ms).
  const ds = fromRows(rows, XS)
    .map(spin({ column: 'x', output: 'y', iters: 3000 }))
    .map(center({ column: 'y', output: 'c' }));
  const t = await ds.compute({ workers: 2, batchSize: 50 });
  assert.equal(t.numRows, 800);
  const text = ds.explain({ analyze: true });
  const busy1 = num(/busy ([\d.]+)/, analyzed(text, 1));
  assert.ok(busy1 > 20, text);
  const op = t.report.nodes.find((n) => n.name === 'exectest.center')!;
  // The pass waited for stage 1 throughout; that wait is stage 1's, not the op's.
  assert.ok(op.timeMs < 0.25 * busy1, `center ${JSON.stringify(op)} against stage 1 busy ${busy1}\n${text}`);
  assert.ok(op.statsMs !== undefined && op.statsMs < 0.25 * busy1, JSON.stringify(op));
  assert.ok(num(/statistics ([\d.]+)/, analyzed(text, 2)) < 0.25 * busy1, text);
  assert.match(analyzed(text, 1), /← bottleneck/, text);
});

test('a run dominated by an in-process join names the join; a join over a costly stage does not count the stage', async () => {
  const n = 20_000;
  const left = fromRows(Array.from({ length: n }, (_, i) => ({ k: i, x: i / n })), { k: dt.float64(), x: dt.float64() });
  const right = fromRows(Array.from({ length: n }, (_, i) => ({ k: n - 1 - i, r: i })), { k: dt.float64(), r: dt.float64() });
  const joined = left.map(affine({ column: 'x', output: 'y', a: 2, b: 1 })).join(right, { on: 'k' });
  const t = await joined.compute({ workers: 0, batchSize: 1000 });
  assert.equal(t.numRows, n);
  const text = joined.explain({ analyze: true });
  const joinLine = text.split('\n').find((l) => /^\s+Join inner on \[k\] \(#\d+\): /.test(l));
  assert.ok(joinLine, text);
  assert.match(joinLine, /← bottleneck/, text);
  assert.match(joinLine, new RegExp(`rows out ${n}, cost [\\d.]+ ms`), text);
  assert.doesNotMatch(analyzed(text, 1), /← bottleneck/, text);
  assert.equal((text.match(/← bottleneck/g) ?? []).length, 1, text);

  // A small join over a costly stage: the stage's time is not the join's.
  const m = 1000;
  const small = fromRows(Array.from({ length: m }, (_, i) => ({ k: i, x: i / m })), { k: dt.float64(), x: dt.float64() });
  const other = fromRows(Array.from({ length: m }, (_, i) => ({ k: i, r: i })), { k: dt.float64(), r: dt.float64() });
  const costly = small.map(spin({ column: 'x', output: 'y', iters: 4000 })).join(other, { on: 'k' });
  await costly.compute({ workers: 0, batchSize: 100 });
  const text2 = costly.explain({ analyze: true });
  const s1 = analyzed(text2, 1);
  assert.match(s1, /← bottleneck/, text2);
  const join2 = text2.split('\n').find((l) => /^\s+Join inner on \[k\] \(#\d+\): /.test(l))!;
  assert.ok(num(/cost ([\d.]+) ms/, join2) < 0.5 * num(/busy ([\d.]+)/, s1), text2);
});

test('queue wait: a task of several batches shares its round trip less its worker time among them', async () => {
  const rows = Array.from({ length: 600 }, (_, i) => ({ x: i / 600 }));
  const ds = fromRows(rows, XS).map(spin({ column: 'x', output: 'y', iters: 2000 }));
  const batches: Extract<ProgressEvent, { type: 'batch-done' }>[] = [];
  await ds.compute({ workers: 2, batchSize: 20, batchesPerTask: 3, progress: { next: (e) => { if (e.type === 'batch-done') batches.push(e); } } });
  assert.equal(batches.length, 30);
  // The batches of one task share its round trip (the same figure).
  const tasks = new Map<number, typeof batches>();
  for (const b of batches) tasks.set(b.roundTripMs, [...(tasks.get(b.roundTripMs) ?? []), b]);
  assert.ok([...tasks.values()].filter((g) => g.length === 3).length >= 5, `grouped tasks: ${[...tasks.values()].map((g) => g.length)}`);
  const eps = 1e-6;
  for (const [roundTrip, g] of tasks) {
    assert.ok(g.length <= 3, `${g.length} batches in a task`);
    const worker = g.reduce((a, b) => a + b.workerMs, 0);
    for (const b of g) {
      assert.ok(b.queueWaitMs >= 0 && b.queueWaitMs <= roundTrip + eps, JSON.stringify(b));
    }
    const waited = g.reduce((a, b) => a + b.queueWaitMs, 0);
    assert.ok(waited <= Math.max(0, roundTrip - worker) + eps,
      `task of ${g.length}: queue wait ${waited} ms > round trip ${roundTrip} − worker ${worker}`);
  }
});
