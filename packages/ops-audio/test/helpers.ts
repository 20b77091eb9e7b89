// Test helpers: temp dirs, synthetic clips, and running one op on rows in process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOp, buildData, getOp, makeChunk, columnValues, fromArrowSchema, type OpCall, type Schema, type Tensor, type RowFailure } from '@modaflow/core';
import type * as arrow from 'apache-arrow';

export function tempDir(prefix = 'modaflow-audio-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A sine (plus a little of a second tone) of `n` samples, planar [channels, n]. */
export function tone(n: number, sr: number, freq = 440, channels = 1, amp = 0.5): Float32Array {
  const out = new Float32Array(channels * n);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = amp * Math.sin((2 * Math.PI * freq * (c + 1) * i) / sr) + 0.05 * Math.sin((2 * Math.PI * 3 * freq * i) / sr + c);
  }
  return out;
}

/** Run an op's kernel over rows (in process), with the given source row ids. */
export async function runOp(call: OpCall, schema: Schema, values: Record<string, unknown[]>, rowIds?: number[], seed = 0): Promise<{ out: Record<string, unknown[]>; failures: RowFailure[]; keptRowIds: number[] }> {
  const def = getOp(call.op)!;
  const n = Object.values(values)[0]!.length;
  const cols = Object.fromEntries(Object.entries(schema).map(([k, t]) => [k, buildData(t, values[k]!, k)]));
  const chunk = makeChunk(schema, cols, Float64Array.from(rowIds ?? Array.from({ length: n }, (_, i) => i)));
  const r = await applyOp(def as never, call.params, chunk, schema, { state: def.spec.init ? await def.spec.init(call.params as never) : undefined, stats: undefined, seed, signal: new AbortController().signal });
  const out: Record<string, unknown[]> = {};
  for (const [k, t] of Object.entries(r.chunk.schema)) out[k] = columnValues(t, r.chunk.columns[k]!);
  return { out, failures: r.failures, keptRowIds: Array.from(r.chunk.rowIds) };
}

/** A column of a result table as JS values. */
export function column<T = unknown>(t: arrow.Table, name: string): T[] {
  const s = fromArrowSchema(t.schema);
  return columnValues(s[name]!, t.getChild(name)!) as T[];
}

/** A float32 tensor value as the audio ops read and write them. */
export type T32 = Tensor<Float32Array>;

export const wave = (data: Float32Array, channels: number): T32 => ({ data, shape: [channels, data.length / channels] });
