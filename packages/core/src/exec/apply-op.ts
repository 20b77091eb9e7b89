// Running one op kernel over one chunk: build the kernel's view of the batch, call it, check and
// assemble its output, and collect per-row failures. Shared by the in-process executor and the
// worker threads.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { dtypeToString } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import type { ColumnInput, KernelContext, KernelInput, KernelResult, OpDef, RowErrorOptions } from '../ops/define-op.ts';
import { hashString, rowRng } from '../ops/random.ts';
import type { Chunk } from './chunk.ts';
import { compactData, maskOfRuns, rowIdAt, scanMask, sliceChunk, takeChunkMask, withColumns } from './chunk.ts';
import type { MaskScan } from './chunk.ts';
import { buildData, columnValues, getValue } from './column.ts';
import { toArrowType } from '../types/arrow-types.ts';
import { ModaflowError, OpError } from '../errors.ts';
import type { RowFailure } from '../plan/logical-plan.ts';

type AnyOpDef = OpDef<unknown, unknown, unknown>;

/** The kernel's view of a chunk. */
export function kernelInput(chunk: Chunk): KernelInput {
  const cache = new Map<string, unknown[]>();
  return {
    numRows: chunk.length,
    schema: chunk.schema,
    // Written out only if the kernel reads them.
    get rowIds() { return chunk.rowIds; },
    data(name: string): arrow.Data {
      const d = chunk.columns[name];
      if (!d) throw new OpError('MF_COLUMN_NOT_FOUND', `kernel asked for column '${name}', which is not in the batch`, { column: name, fix: 'declare the column in the op inputs' });
      // Kernels may index buffers from 0: a sliced column is compacted first (a copy only then).
      return compactData(chunk.schema[name]!, d);
    },
    values(name: string): unknown[] {
      let v = cache.get(name);
      if (!v) {
        const t = chunk.schema[name];
        if (!t) throw new OpError('MF_COLUMN_NOT_FOUND', `kernel asked for column '${name}', which is not in the batch`, { column: name, fix: 'declare the column in the op inputs' });
        v = columnValues(t, chunk.columns[name]!);
        cache.set(name, v);
      }
      return v;
    },
  };
}

/** Scalar values of one row, for quarantine records (tensors and binaries are summarized). */
export function rowSnapshot(chunk: Chunk, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(chunk.schema)) {
    if (t.kind === 'tensor' || t.kind === 'varTensor' || t.kind === 'binary' || t.kind === 'list' || t.kind === 'fixedSizeList' || t.kind === 'struct') {
      out[k] = `<${dtypeToString(t)}>`;
      continue;
    }
    const v = getValue(t, chunk.columns[k]!, i);
    out[k] = typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}

export interface ApplyResult {
  readonly chunk: Chunk;
  readonly failures: RowFailure[];
}

export interface ApplyContext {
  readonly state: unknown;
  readonly stats: unknown;
  readonly seed: number;
  readonly signal: AbortSignal;
}

/** Params as JSON with sorted keys (bigints and typed arrays spelled out): equal params, equal text. */
export function stableStringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]]));
    }
    return x;
  });
}

/**
 * The key of an op's per-row generators: its name and params, so that two ops of one kind with
 * different params (dropout of two modalities, say) draw independent streams, while the same op
 * draws the same stream in every run, thread and batch.
 */
export function opRandomKey(name: string, params: unknown): number {
  // (Params objects live as long as their plan or task: keyed by identity, a run hashes them once.)
  const cached = params !== null && typeof params === 'object' ? randomKeys.get(params)?.get(name) : undefined;
  if (cached !== undefined) return cached;
  const key = hashString(`${name}\u0000${stableStringify(params ?? null)}`);
  if (params !== null && typeof params === 'object') {
    let byName = randomKeys.get(params);
    if (!byName) randomKeys.set(params, (byName = new Map()));
    byName.set(name, key);
  }
  return key;
}
const randomKeys = new WeakMap<object, Map<string, number>>();

/** The seed an op uses: its own `seed` param mixed with the run seed. */
export function opSeed(runSeed: number, params: unknown): number {
  const own = params && typeof params === 'object' && 'seed' in params ? Number((params as { seed: unknown }).seed) : 0;
  return (Math.imul(runSeed | 0, 0x2545f491) ^ (own | 0)) >>> 0;
}

function toData(t: DType, c: ColumnInput, name: string, op: string, n: number): arrow.Data {
  let d: arrow.Data;
  if (c instanceof arrow.Data) d = c;
  else if (c instanceof arrow.Vector) {
    if (c.data.length !== 1) d = buildData(t, columnValues(t, c), name);
    else d = c.data[0]!;
  } else d = buildData(t, c as ArrayLike<unknown>, name);
  if (d.length !== n) {
    throw new OpError('MF_OP_OUTPUT', `kernel returned ${d.length} values for column '${name}', expected one per input row (${n})`, {
      op, column: name, fix: 'return one value per input row (use null for rows you reject with ctx.rowError)',
    });
  }
  // A kernel module may have been given another copy of apache-arrow (the ESM and the CommonJS
  // builds of the package loaded side by side in a worker): its Data is recognized (Data uses a
  // Symbol.for brand) but its types are not ours. Re-wrap the same buffers with our types.
  if (!(d.type instanceof arrow.DataType)) d = adoptData(t, d, name, op);
  const want = toArrowType(t);
  if (!arrow.util.compareTypes(want, d.type as arrow.DataType)) {
    throw new OpError('MF_OP_OUTPUT', `kernel returned ${String(d.type)} for column '${name}', declared ${dtypeToString(t)}`, {
      op, column: name, fix: 'return data of the declared dtype, or change the op outputs',
    });
  }
  return d;
}

/**
 * The same column data with this module's apache-arrow types (zero copy). Checks the foreign type
 * ids against the declared dtype on the way.
 */
export function adoptData(t: DType, d: arrow.Data, name: string, op: string): arrow.Data {
  const type = toArrowType(t);
  if ((d.type as { typeId: number }).typeId !== type.typeId) {
    throw new OpError('MF_OP_OUTPUT', `kernel returned ${String(d.type)} for column '${name}', declared ${dtypeToString(t)}`, {
      op, column: name, fix: 'return data of the declared dtype, or change the op outputs',
    });
  }
  const childTypes: DType[] = (() => {
    switch (t.kind) {
      case 'list': case 'fixedSizeList': return [t.item];
      case 'struct': return Object.values(t.fields);
      case 'tensor': return [t.item];
      case 'varTensor': return [{ kind: 'list', item: t.item } as DType, { kind: 'fixedSizeList', item: { kind: 'int32' }, size: t.ndim } as DType];
      default: return [];
    }
  })();
  const children = d.children.map((c, i) => adoptData(childTypes[i]!, c, name, op));
  return arrow.makeData({
    type, offset: d.offset, length: d.length, nullCount: d.nullCount,
    nullBitmap: d.nullBitmap, data: d.values, valueOffsets: d.valueOffsets,
    // makeData takes lists' single child as `child`, structs' as `children`.
    ...(arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type) ? { child: children[0] } : { children }),
  } as never);
}

/**
 * Apply a row-local op to a chunk. Rows the kernel rejects with ctx.rowError become failures; a
 * kernel that throws fails the whole chunk (every row becomes a failure with that reason).
 */
export async function applyOp(def: AnyOpDef, params: unknown, chunk: Chunk, inputSchema: Schema, actx: ApplyContext): Promise<ApplyResult> {
  const failures: RowFailure[] = [];
  const bad = new Set<number>();
  let key: number | undefined; // (made on the first draw: most ops never draw)
  const input = kernelInput(chunk);
  const ctx: KernelContext<unknown, unknown> = {
    op: def.name,
    state: actx.state,
    stats: actx.stats,
    seed: actx.seed,
    signal: actx.signal,
    rowError(row: number, reason: string | Error, opts: RowErrorOptions = {}) {
      if (bad.has(row)) return;
      bad.add(row);
      const code = opts.code ?? (reason instanceof ModaflowError ? reason.code : 'MF_ROW_ERROR');
      const column = opts.column ?? (reason instanceof ModaflowError ? reason.column : undefined);
      failures.push({
        rowId: chunk.rowIds[row]!,
        op: def.name,
        ...(column !== undefined ? { column } : {}),
        code,
        message: reason instanceof ModaflowError ? reason.reason : reason instanceof Error ? reason.message : reason,
        row: rowSnapshot(chunk, row),
      });
    },
    random(row: number) {
      key ??= opRandomKey(def.name, params);
      return rowRng(actx.seed, key, rowIdAt(chunk, row));
    },
  };
  let result: KernelResult;
  try {
    result = await def.spec.kernel(input, params, ctx);
  } catch (e) {
    if (e instanceof ModaflowError && e.code === 'MF_ABORTED') throw e;
    const err = e instanceof ModaflowError ? e : new OpError('MF_OP_FAILED', (e as Error)?.message ?? String(e), { op: def.name, cause: e });
    return {
      // No rows kept: a zero-length slice (no kernel of ours that could fail a second time on odd column data).
      chunk: sliceChunk(chunk, 0, 0),
      failures: Array.from(chunk.rowIds, (rowId, i) => ({
        rowId, op: def.name, code: err.code, message: `batch failed: ${err.reason}`,
        ...(err.column !== undefined ? { column: err.column } : {}),
        row: rowSnapshot(chunk, i),
      })),
    };
  }
  const outSchema = def.spec.outputs(params, inputSchema);
  const removes = new Set(def.spec.removes?.(params) ?? []);
  const schema: Record<string, DType> = {};
  const cols: Record<string, arrow.Data> = {};
  for (const [k, t] of Object.entries(inputSchema)) {
    if (removes.has(k) || k in outSchema) continue;
    schema[k] = t;
    cols[k] = chunk.columns[k]!;
  }
  for (const [k, t] of Object.entries(outSchema)) {
    const c = result.columns[k];
    if (c === undefined) {
      throw new OpError('MF_OP_OUTPUT', `kernel did not return declared output column '${k}'`, { op: def.name, column: k, fix: 'return every column the op declares in outputs()' });
    }
    schema[k] = t;
    cols[k] = toData(t, c, k, def.name, chunk.length);
  }
  let out = withColumns(chunk, schema, cols);
  const kept = keptRows(result.keep, chunk.length, bad, keepScanOf(result, cols, chunk), def.name);
  if (kept) out = takeChunkMask(out, kept.mask, kept.scan);
  return { chunk: out, failures };
}

/** The kernel's keepScan, with taken values only for columns that pass through unchanged (an output column replaces its input). */
function keepScanOf(r: KernelResult, cols: Record<string, arrow.Data>, chunk: Chunk): MaskScan | undefined {
  const s = r.keepScan;
  if (!s?.taken) return s;
  const taken: Record<string, TypedArray> = {};
  for (const k of Object.keys(s.taken)) if (cols[k] !== undefined && cols[k] === chunk.columns[k]) taken[k] = s.taken[k]!;
  return { kept: s.kept, runs: s.runs, taken };
}

/** The kept rows as a 0/1 mask (null: the scan's runs alone say it) and their scan, or null when every row is kept. */
function keptRows(keep: KernelResult['keep'], n: number, bad: Set<number>, given?: MaskScan, op?: string): { mask: Uint8Array | null; scan: MaskScan } | null {
  if (given) {
    checkScan(given, n, op);
    if (keep === undefined && !given.runs) throw scanError(op, 'has no runs: send the keep mask with it');
    if (bad.size === 0 && (keep === undefined || (keep instanceof Uint8Array && keep.length === n))) {
      return given.kept === n ? null : { mask: keep ?? null, scan: given };
    }
    // Rows rejected by the kernel: the general path below, over the mask the runs describe.
    keep ??= maskOfRuns(given.runs!, n);
  }
  if (!keep && bad.size === 0) return null;
  let mask: Uint8Array;
  if (!keep) mask = new Uint8Array(n).fill(1);
  else if (keep instanceof Uint32Array) { mask = new Uint8Array(n); for (const i of keep) mask[i] = 1; }
  else if (keep.length !== n) throw new OpError('MF_OP_OUTPUT', `kernel 'keep' has ${keep.length} entries for ${n} rows`, { fix: 'return a 0/1 mask with one entry per row, or a Uint32Array of row indices' });
  // A 0/1 byte mask is read as it is (no copy) unless bad rows must be cleared in it.
  else if (keep instanceof Uint8Array && bad.size === 0) mask = keep;
  else { mask = new Uint8Array(n); for (let i = 0; i < n; i++) mask[i] = keep[i] ? 1 : 0; }
  for (const b of bad) mask[b] = 0;
  const scan = scanMask(mask);
  // Every row kept: the batch passes as it is.
  return scan.kept === n ? null : { mask, scan };
}

function scanError(op: string | undefined, why: string): OpError {
  return new OpError('MF_OP_OUTPUT', `kernel 'keepScan' ${why}`, { ...(op !== undefined ? { op } : {}), fix: 'return keepScan as scanMask(keep) gives it, or leave it out' });
}

/** A kernel's keepScan must tile [0, kept) with runs inside [0, n), in order. */
function checkScan(scan: MaskScan, n: number, op?: string): void {
  const { kept, runs } = scan;
  if (!Number.isInteger(kept) || kept < 0 || kept > n) throw scanError(op, `keeps ${kept} rows of ${n}`);
  if (!runs) return;
  if (!(runs instanceof Int32Array) || runs.length % 3 !== 0) throw scanError(op, 'runs must be an Int32Array of [dst, src, length] triples');
  let dst = 0, end = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const d = runs[r]!, s = runs[r + 1]!, len = runs[r + 2]!;
    if (d !== dst || s < end || len <= 0 || s + len > n) throw scanError(op, `run ${r / 3} [${d}, ${s}, ${len}] does not follow the one before it inside ${n} rows`);
    dst += len;
    end = s + len;
  }
  if (dst !== kept) throw scanError(op, `runs cover ${dst} rows, kept says ${kept}`);
}
