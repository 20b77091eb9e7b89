// applyOp with a kernel that sends the scan of its keep mask (keepScan: kept count, runs, and the
// kept values of columns it gathered itself): the output is exactly what the mask alone gives —
// for any mask, sliced inputs, columns the runs cannot copy, rows rejected with ctx.rowError —
// and a keepScan whose runs do not tile the kept rows is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildData, columnValues, dt, makeChunk, rowIdRange, rowIdsOf, sliceChunk } from '../../src/index.ts';
import type { Chunk, Schema } from '../../src/index.ts';
import { applyOp } from '../../src/exec/apply-op.ts';
import { scanMask } from '../../src/exec/chunk.ts';
import { defineOp } from '../../src/ops/define-op.ts';

interface P { readonly mask: readonly number[]; readonly send: 'none' | 'scan' | 'taken' | 'runs-only'; readonly reject?: readonly number[]; readonly replace?: boolean; readonly lie?: 'kept' | 'runs' }

/** Keeps the rows its mask param says; sends keepScan (from scanMask) and x's kept values when told. */
const def = defineOp<P>({
  name: 'applytest.keep-scan',
  module: import.meta.url,
  inputs: () => ({ x: dt.float32() }),
  outputs: (p): Schema => (p.replace ? { x: dt.float32() } : {}),
  properties: { filters: true },
  kernel(input, p, ctx) {
    const n = input.numRows;
    const keep = Uint8Array.from(p.mask.slice(0, n));
    for (const r of p.reject ?? []) if (r < n) ctx.rowError(r, 'rejected');
    const d = input.data('x');
    const xs = (d.values as Float32Array).subarray(0, n);
    const columns: Record<string, Float32Array> = p.replace ? { x: xs.map((v) => v * 2) } : {};
    if (p.send === 'none') return { columns, keep };
    const s = scanMask(keep);
    let keepScan: { kept: number; runs: Int32Array | null; taken?: Record<string, Float32Array> } = { kept: s.kept, runs: s.runs };
    if (p.send === 'taken' || p.send === 'runs-only') {
      const taken = new Float32Array(s.kept);
      for (let i = 0, j = 0; i < n; i++) if (keep[i]) taken[j++] = xs[i]!;
      keepScan.taken = { x: taken };
    }
    if (p.lie === 'kept') keepScan = { ...keepScan, kept: keepScan.kept + 1 };
    if (p.lie === 'runs' && keepScan.runs) { const r = keepScan.runs.slice(); r[1] = n; keepScan = { ...keepScan, runs: r }; }
    // 'runs-only': the scan stands in for the mask (allowed when it has runs).
    const r = p.send === 'runs-only' && keepScan.runs ? { columns, keepScan } : { columns, keep, keepScan };
    return r;
  },
});

const schemaOf = (withS: boolean): Schema => (withS ? { x: dt.float32(), y: dt.int64(), s: dt.utf8() } : { x: dt.float32(), y: dt.int64() });

function chunkOf(n: number, offset: number, withS: boolean, nulls: boolean): Chunk {
  const total = n + offset;
  const schema = schemaOf(withS);
  const cols = {
    x: buildData(dt.float32(), Float32Array.from({ length: total }, (_, i) => i * 0.5 - 7)),
    y: buildData(dt.int64(), Array.from({ length: total }, (_, i) => (nulls && i % 5 === 2 ? null : BigInt(i * 3)))),
    ...(withS ? { s: buildData(dt.utf8(), Array.from({ length: total }, (_, i) => `r${i}`)) } : {}),
  };
  const c = makeChunk(schema, cols, rowIdRange(100, total));
  return offset ? sliceChunk(c, offset, total) : c;
}

async function run(c: Chunk, p: P) {
  const r = await applyOp(def as never, p, c, c.schema, { state: undefined, stats: undefined, seed: 0, signal: new AbortController().signal });
  const cols = Object.fromEntries(Object.keys(r.chunk.schema).map((k) => [k, columnValues(r.chunk.schema[k]!, r.chunk.columns[k]!)]));
  return { chunk: r.chunk, cols, ids: Array.from(r.chunk.rowIds), failures: r.failures.map((f) => f.rowId) };
}

// Masks made of runs: long kept runs with short gaps, alternation, all kept, none kept.
const maskArb = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 120 })), { minLength: 1, maxLength: 30 })
  .map((runs) => runs.flatMap(([keep, len]) => Array<number>(len).fill(keep ? 1 : 0)));

test('law: a kernel keepScan (with or without taken values) gives exactly what its mask alone gives', async () => {
  await fc.assert(fc.asyncProperty(
    maskArb, fc.integer({ min: 0, max: 30 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.array(fc.nat(300), { maxLength: 3 }), fc.constantFrom<P['send']>('scan', 'taken', 'runs-only'),
    async (mask, offset, withS, nulls, replace, reject, send) => {
      const c = chunkOf(mask.length, offset, withS, nulls);
      const want = await run(c, { mask, send: 'none', reject, replace });
      const got = await run(c, { mask, send, reject, replace });
      assert.deepEqual(got.cols, want.cols);
      assert.deepEqual(got.ids, want.ids);
      assert.deepEqual(got.failures, want.failures);
    }), { numRuns: 300 });
});

test('keepScan edge cases: all kept passes the batch through; none kept; taken values are used as they are', async () => {
  const c = chunkOf(500, 7, false, false);
  const all = await run(c, { mask: Array(500).fill(1), send: 'taken' });
  assert.equal(all.chunk.columns['x'], c.columns['x']);
  const none = await run(c, { mask: Array(500).fill(0), send: 'taken' });
  assert.equal(none.chunk.length, 0);
  const mask = Array.from({ length: 500 }, (_, i) => (i % 100 === 3 ? 0 : 1));
  const some = await run(c, { mask, send: 'taken' });
  assert.equal(some.chunk.length, 495);
  // Row ids stay described (runs of the source range), nothing written out per row.
  assert.ok(!(rowIdsOf(some.chunk) instanceof Float64Array));
  assert.deepEqual(some.cols['x'], (await run(c, { mask, send: 'none' })).cols['x']);
});

test('a keepScan whose count or runs do not tile the kept rows is refused (MF_OP_OUTPUT, naming keepScan)', async () => {
  const c = chunkOf(400, 0, false, false);
  const mask = Array.from({ length: 400 }, (_, i) => (i % 50 === 0 ? 0 : 1));
  for (const send of ['scan', 'runs-only'] as const) {
    for (const lie of ['kept', 'runs'] as const) {
      await assert.rejects(run(c, { mask, send, lie }), (e: Error & { code?: string }) => e.code === 'MF_OP_OUTPUT' && /keepScan/.test(e.message));
    }
  }
});

test('a keepScan without runs needs the keep mask beside it', async () => {
  const c = chunkOf(300, 0, false, false);
  // Alternating rows: runs too short to be worth copying run by run, so scanMask gives none.
  const mask = Array.from({ length: 300 }, (_, i) => i % 2);
  const def2 = defineOp<Record<string, never>>({
    name: 'applytest.scan-only', module: import.meta.url, inputs: () => ({ x: dt.float32() }), outputs: () => ({}), properties: { filters: true },
    kernel() { const r = { columns: {}, keepScan: scanMask(Uint8Array.from(mask)) }; return r; },
  });
  await assert.rejects(applyOp(def2 as never, {}, c, c.schema, { state: undefined, stats: undefined, seed: 0, signal: new AbortController().signal }),
    (e: Error & { code?: string }) => e.code === 'MF_OP_OUTPUT' && /no runs/.test(e.message));
});
