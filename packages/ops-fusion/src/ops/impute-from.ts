// Filling a missing modality from another one the row has:
// - fusion.impute-nearest: the value of the complete row nearest in the other modality (k-nearest
//   neighbours over a reference set gathered by a statistics phase; a global op);
// - fusion.impute-model: a projection of the other modality, given as an ONNX model (row-local).
import type { DType, GlobalStats, OpCall, Tensor } from '@modaflow/core';
import { defineOp, dtypeToString, DTypeMismatchError, hashString, InvalidArgumentError, isValid, onnx, rowRng } from '@modaflow/core';
import { NUMERIC_KINDS } from '../util/columns.ts';
import { cellNumbers, staticWidth } from '../util/parts.ts';
import { reduceTensor, rescaleExponent, timesPow2 } from '../util/reduce.ts';

const INT_KINDS = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'int64', 'uint64']);

function itemKind(t: DType): string {
  return t.kind === 'tensor' ? t.item.kind : t.kind;
}

/** The width of a column a missing value can be filled in (numeric scalar or fixed-shape numeric tensor), or a plan-time error. */
function targetWidth(t: DType, op: string, column: string): number {
  if (NUMERIC_KINDS.has(t.kind)) return 1;
  if (t.kind === 'tensor' && NUMERIC_KINDS.has(t.item.kind)) return t.shape.reduce((a, b) => a * b, 1);
  throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `cannot impute a ${dtypeToString(t)} column: the fill needs a known shape`, {
    op, column, fix: 'impute numeric scalars or fixed-shape tensors (pad/resize a variable-shape tensor first)',
  });
}

/** A value of the target column from `w` numbers (integers rounded half away from zero). */
function cell(t: DType, v: ArrayLike<number>): unknown {
  const round = INT_KINDS.has(itemKind(t));
  const x = round ? Array.from(v, (a) => Math.sign(a) * Math.round(Math.abs(a))) : Array.from(v);
  if (t.kind === 'tensor') return { data: x, shape: [...t.shape] } as unknown as Tensor;
  const k = itemKind(t);
  return k === 'int64' || k === 'uint64' ? BigInt(x[0]!) : x[0]!;
}

function checkFrom(p: { column: string; from: string; output?: string }, op: string): void {
  if (typeof p.from !== 'string' || p.from.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'from must name the column to impute from', { op, fix: "pass from: 'image_emb'" });
  }
  if (p.from === p.column) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `from and column are both '${p.column}': a modality cannot be imputed from itself`, { op, column: p.column, fix: 'impute from another modality of the row' });
  }
}

// ---- nearest neighbour ----

export type NeighbourMetric = 'l2' | 'cosine';

export interface ImputeNearestParams {
  /** The column to fill where null. */
  readonly column: string;
  /** Its dtype: a numeric scalar or a fixed-shape numeric tensor. */
  readonly dtype: DType;
  /** The modality to search by: a numeric scalar, fixed-shape tensor or fixed-size list column. */
  readonly from: string;
  readonly fromDtype: DType;
  /** Distance between `from` values: Euclidean (default) or cosine (1 − cos; a zero vector is at distance 1 from all). */
  readonly metric?: NeighbourMetric;
  /** Neighbours whose values are averaged, element-wise (default 1: the nearest row's value, copied). */
  readonly k?: number;
  /**
   * Most complete rows kept as the reference set (default 10 000). Beyond it a deterministic
   * sample is kept: the rows whose hashed source row ids are smallest (the same rows whatever the
   * order, batch size or workers).
   */
  readonly maxReference?: number;
  /** Write here instead of replacing the column. */
  readonly output?: string;
}

const NEAREST = 'fusion.impute-nearest';
const SAMPLE_KEY = hashString(`${NEAREST}.reference-sample`);

interface Ref { key: number; id: number; from: Float64Array; to: Float64Array }
type NearestAcc = { refs: Ref[] };
/**
 * The reference set, in source row id order (ties go to the smaller row id); shared memory, so
 * tasks carry it without a copy. `from` holds the values times 2^fromExp (a power of two that
 * brings their largest magnitude into [1, 2) when it lies outside [2^-500, 2^500]), so squared
 * distances and norms neither overflow nor underflow; a query is scaled the same way.
 */
export interface NearestStats { readonly n: number; readonly from: Float64Array; readonly to: Float64Array; readonly norms: Float64Array; readonly fromExp: number }

const byKey = (a: Ref, b: Ref) => a.key - b.key || a.id - b.id;

function prune(refs: Ref[], max: number): Ref[] {
  if (refs.length <= max) return refs;
  refs.sort(byKey);
  refs.length = max;
  return refs;
}

function finiteNumbers(v: unknown, w: number): Float64Array | null {
  if (v === null || v === undefined) return null;
  const x = cellNumbers(v);
  if (x.length !== w) return null;
  const out = new Float64Array(w);
  for (let j = 0; j < w; j++) {
    const a = x[j]!;
    if (!Number.isFinite(a)) return null;
    out[j] = a;
  }
  return out;
}

function fromWidth(p: ImputeNearestParams): number {
  const w = staticWidth(p.fromDtype);
  if (w === null || w < 1) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${p.from}' is ${dtypeToString(p.fromDtype)}; nearest neighbours need a numeric value of fixed width per row`, {
      op: NEAREST, column: p.from, fix: 'search by a numeric scalar, fixed-shape tensor or fixed-size list (e.g. an embedding)',
    });
  }
  return w;
}

const shared = (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8));

const nearestStats: GlobalStats<ImputeNearestParams, NearestAcc, NearestStats> = {
  init: () => ({ refs: [] }),
  update(acc, input, p) {
    const wf = fromWidth(p), wt = targetWidth(p.dtype, NEAREST, p.column), max = p.maxReference ?? 10_000;
    const fv = input.values(p.from), tv = input.values(p.column);
    for (let i = 0; i < input.numRows; i++) {
      const from = finiteNumbers(fv[i], wf);
      const to = from && finiteNumbers(tv[i], wt);
      if (!to) continue;
      const id = input.rowIds[i]!;
      acc.refs.push({ key: rowRng(0, SAMPLE_KEY, id).uint32(), id, from: from!, to });
    }
    if (acc.refs.length > 2 * max) prune(acc.refs, max);
    return acc;
  },
  merge(a, b, p) {
    for (const r of b.refs) a.refs.push(r);
    if (a.refs.length > 2 * (p.maxReference ?? 10_000)) prune(a.refs, p.maxReference ?? 10_000);
    return a;
  },
  finalize(acc, p) {
    const refs = prune(acc.refs, p.maxReference ?? 10_000).sort((a, b) => a.id - b.id);
    const wf = fromWidth(p), wt = targetWidth(p.dtype, NEAREST, p.column), n = refs.length;
    const from = shared(n * wf), to = shared(n * wt), norms = shared(n);
    let max = 0;
    for (const r of refs) for (let j = 0; j < wf; j++) max = Math.max(max, Math.abs(r.from[j]!));
    const fromExp = rescaleExponent(max);
    refs.forEach((r, i) => {
      for (let j = 0; j < wf; j++) from[i * wf + j] = fromExp === 0 ? r.from[j]! : timesPow2(r.from[j]!, fromExp);
      to.set(r.to, i * wt);
      // (Scaled within the row: a row far below the largest would square to 0.)
      norms[i] = reduceTensor(from.subarray(i * wf, (i + 1) * wf), 'l2');
    });
    return { n, from, to, norms, fromExp };
  },
};

const nearestDef = defineOp<ImputeNearestParams, undefined, NearestStats>({
  name: NEAREST,
  module: import.meta.url,
  description: 'fill nulls with the value of the nearest complete row in another modality',
  inputs: (p) => ({ [p.from]: p.fromDtype, [p.column]: p.dtype }),
  outputs: (p) => ({ [p.output ?? p.column]: p.dtype }),
  // A brute-force scan of the reference set per imputed row: declared costly so it runs on workers.
  properties: { costPerRow: 20 },
  validate(p) {
    checkFrom(p, NEAREST);
    targetWidth(p.dtype, NEAREST, p.column);
    fromWidth(p);
    if (p.metric !== undefined && p.metric !== 'l2' && p.metric !== 'cosine') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `metric must be 'l2' or 'cosine', got '${String(p.metric)}'`, { op: NEAREST, fix: "metric: 'cosine'" });
    }
    for (const [k, v, min] of [['k', p.k, 1], ['maxReference', p.maxReference, 1]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < min)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${k} must be a positive integer, got ${v}`, { op: NEAREST, fix: `pass e.g. ${k}: ${k === 'k' ? 5 : 10_000}` });
      }
    }
  },
  stats: nearestStats,
  kernel(input, p, ctx) {
    const { n, from, to, norms, fromExp } = ctx.stats;
    const wf = fromWidth(p), wt = targetWidth(p.dtype, NEAREST, p.column);
    const k = Math.min(p.k ?? 1, n), cosine = p.metric === 'cosine';
    const target = input.data(p.column), tv = input.values(p.column), fv = input.values(p.from);
    const best = new Int32Array(k), bestD = new Float64Array(k);
    const out = tv.map((v, i) => {
      if (isValid(target, i) && v !== null) return v;
      const q = finiteNumbers(fv[i], wf);
      if (!q) {
        ctx.rowError(i, `no value to impute from: '${p.from}' is null, not finite or of another width in this row too`, { column: p.column, code: 'MF_ROW_ERROR' });
        return null;
      }
      if (n === 0) {
        ctx.rowError(i, `no complete row to impute from: no row has both '${p.from}' and '${p.column}'`, { column: p.column, code: 'MF_ROW_ERROR' });
        return null;
      }
      // On the references' scale for l2; on its own for cosine (which no scale changes).
      let qe = fromExp;
      if (cosine) { let a = 0; for (let j = 0; j < wf; j++) a = Math.max(a, Math.abs(q[j]!)); qe = rescaleExponent(a); }
      if (qe !== 0) for (let j = 0; j < wf; j++) q[j] = timesPow2(q[j]!, qe);
      let qn = 0;
      if (cosine) { for (let j = 0; j < wf; j++) qn += q[j]! * q[j]!; qn = Math.sqrt(qn); }
      // The k smallest distances, kept sorted; a later row only displaces on a strictly smaller distance (ties: smaller row id).
      let m = 0;
      for (let r = 0; r < n; r++) {
        const at = r * wf;
        let d = 0;
        if (cosine) {
          let dot = 0;
          for (let j = 0; j < wf; j++) dot += q[j]! * from[at + j]!;
          const den = qn * norms[r]!;
          d = den > 0 ? 1 - dot / den : 1;
        } else {
          for (let j = 0; j < wf; j++) { const e = q[j]! - from[at + j]!; d += e * e; }
        }
        // (A query far beyond every reference can still square past the float range: ∞, all tied.)
        if (Number.isNaN(d)) d = Infinity;
        if (m === k && d >= bestD[k - 1]!) continue;
        let s = m < k ? m++ : k - 1;
        while (s > 0 && bestD[s - 1]! > d) { bestD[s] = bestD[s - 1]!; best[s] = best[s - 1]!; s--; }
        bestD[s] = d; best[s] = r;
      }
      const fill = new Float64Array(wt);
      for (let b = 0; b < k; b++) for (let j = 0; j < wt; j++) fill[j]! += to[best[b]! * wt + j]!;
      if (k > 1) for (let j = 0; j < wt; j++) fill[j]! /= k;
      return cell(p.dtype, fill);
    });
    return { columns: { [p.output ?? p.column]: out } };
  },
});

export const imputeNearestOp = nearestDef;

/**
 * Fill nulls of one modality with the value of the nearest complete row in another (k-nearest
 * neighbours; the mean of k values for k > 1). A global op: a statistics phase gathers the
 * reference set (rows with both modalities present and finite), then each row missing `column`
 * gets its neighbours' value by `from`. Pair with maskMissing to keep the information.
 *
 * @example ds.map(imputeNearest({ column: 'audio_emb', dtype: AUD, from: 'image_emb', fromDtype: IMG, metric: 'cosine' }))
 */
export function imputeNearest<C extends string, D extends DType, F extends string, FD extends DType, O extends string = C>(
  p: ImputeNearestParams & { readonly column: C; readonly dtype: D; readonly from: F; readonly fromDtype: FD; readonly output?: O },
): OpCall<{ readonly [K in C]: D } & { readonly [K in F]: FD }, { readonly [K in O]: D }> {
  return nearestDef.call(p) as never;
}

// ---- ONNX projection ----

export interface ImputeModelParams {
  /** The column to fill where null. */
  readonly column: string;
  /** Its dtype: a numeric scalar or a fixed-shape numeric tensor; the model's output per row must have as many values. */
  readonly dtype: DType;
  /** The modality the model reads. */
  readonly from: string;
  /** Its dtype (default: what the model input takes, as onnx.infer derives it). */
  readonly fromDtype?: DType;
  /** Path of the .onnx file: one row of `from` in (batch axis first), one row of `column` out. */
  readonly model: string;
  /** Model input and output names (default: the model's only input / first output). */
  readonly modelInput?: string;
  readonly modelOutput?: string;
  /** Most rows per session.run (default 32). */
  readonly maxBatch?: number;
  readonly session?: onnx.OnnxSessionOptions;
  /** Write here instead of replacing the column. */
  readonly output?: string;
}

const MODEL = 'fusion.impute-model';

function modelTensors(p: ImputeModelParams, sig: onnx.ModelSignature): { input: onnx.TensorSignature; output: onnx.TensorSignature } {
  if (p.modelInput === undefined && sig.inputs.length !== 1) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `model ${sig.path} has ${sig.inputs.length} inputs (${sig.inputs.map((t) => t.name).join(', ')}); say which one '${p.from}' feeds`, {
      op: MODEL, column: p.from, fix: `pass modelInput: '${sig.inputs[0]?.name ?? 'input'}'`,
    });
  }
  const input = onnx.findTensor(sig, 'input', p.modelInput ?? sig.inputs[0]!.name, { op: MODEL, column: p.from });
  const output = onnx.findTensor(sig, 'output', p.modelOutput ?? sig.outputs[0]?.name ?? '', { op: MODEL, column: p.column });
  return { input, output };
}

/** Plan-time checks against the model file: the feed, and the output's width against the column's. */
function checkModel(p: ImputeModelParams, input: Record<string, DType> | null): { input: onnx.TensorSignature; output: onnx.TensorSignature } {
  const sig = onnx.readModelSignature(p.model, { op: MODEL });
  const t = modelTensors(p, sig);
  const have = input?.[p.from];
  if (have) onnx.checkFeed(have, t.input, { op: MODEL, column: p.from, model: sig.path });
  const rest = t.output.shape.slice(1);
  const w = targetWidth(p.dtype, MODEL, p.column);
  if (rest.every((d) => typeof d === 'number')) {
    const size = (rest as number[]).reduce((a, b) => a * b, 1);
    if (size !== w) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `model output '${t.output.name}' (${onnx.signatureToString(t.output)}) gives ${size} values per row, but column '${p.column}' (${dtypeToString(p.dtype)}) holds ${w}`, {
        op: MODEL, column: p.column, fix: 'use a model whose output per row has the shape of the column, or impute another column',
      });
    }
  }
  return t;
}

interface ModelState { readonly handle: onnx.SessionHandle; readonly input: onnx.TensorSignature; readonly output: onnx.TensorSignature }

const modelDef = defineOp<ImputeModelParams, ModelState>({
  name: MODEL,
  module: import.meta.url,
  description: 'fill nulls with an ONNX projection of another modality',
  inputs(p) {
    const { input } = modelTensors(p, onnx.readModelSignature(p.model, { op: MODEL }));
    return { [p.from]: p.fromDtype ?? onnx.inputColumnDType(input, { op: MODEL }), [p.column]: p.dtype };
  },
  outputs(p, input) {
    checkModel(p, input);
    return { [p.output ?? p.column]: p.dtype };
  },
  properties: { costPerRow: 200 },
  validate(p) {
    checkFrom(p, MODEL);
    targetWidth(p.dtype, MODEL, p.column);
    if (typeof p.model !== 'string' || p.model.length === 0) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'model must be the path of an .onnx file', { op: MODEL, fix: "pass model: 'models/image-to-audio.onnx'" });
    }
    if (p.maxBatch !== undefined && (!Number.isInteger(p.maxBatch) || p.maxBatch < 1)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `maxBatch must be a positive integer, got ${p.maxBatch}`, { op: MODEL, fix: 'pass e.g. maxBatch: 32' });
    }
  },
  async init(p) {
    const t = checkModel(p, null);
    return { handle: await onnx.acquireSession(p.model, p.session, { op: MODEL }), ...t };
  },
  dispose: (s) => onnx.releaseSession(s.handle),
  async kernel(input, p, ctx) {
    const n = input.numRows, w = targetWidth(p.dtype, MODEL, p.column);
    const target = input.data(p.column);
    const cells = onnx.columnCells(input.schema[p.from]!, input.data(p.from));
    // Only rows missing the column run through the model (null cells are skipped).
    for (let i = 0; i < n; i++) {
      if (isValid(target, i)) cells[i] = null;
      else if (cells[i] === null) {
        ctx.rowError(i, `no value to impute from: '${p.from}' is null in this row too`, { column: p.column, code: 'MF_ROW_ERROR' });
      }
    }
    const rows = await onnx.runBatched({
      handle: ctx.state.handle, feeds: [{ input: ctx.state.input, column: p.from, cells, checkFinite: true }],
      outputs: [ctx.state.output.name], maxBatch: p.maxBatch ?? 32, checkOutputs: true,
    }, n, ctx);
    const tv = input.values(p.column);
    const out = tv.map((v, i) => {
      if (isValid(target, i)) return v;
      const r = rows[i]?.[0];
      if (!r) return null; // (a row error was reported: no value, or the runner rejected the row)
      if (r.data.length !== w) {
        ctx.rowError(i, `model output for this row has shape [${r.shape.join(',')}] (${r.data.length} values), but column '${p.column}' holds ${w}`, { column: p.column, code: 'MF_OP_OUTPUT' });
        return null;
      }
      return cell(p.dtype, r.data as unknown as ArrayLike<number>);
    });
    return { columns: { [p.output ?? p.column]: out } };
  },
});

export const imputeModelOp = modelDef;

/**
 * Fill nulls of one modality with an ONNX model's projection of another (e.g. an image embedding
 * mapped to the audio embedding space). Row-local: only rows missing `column` run through the
 * model; the model and column dtypes are checked when the plan is built.
 *
 * @example ds.map(imputeModel({ column: 'audio_emb', dtype: AUD, from: 'image_emb', model: 'img2aud.onnx' }))
 */
export function imputeModel<C extends string, D extends DType, F extends string, O extends string = C>(
  p: ImputeModelParams & { readonly column: C; readonly dtype: D; readonly from: F; readonly output?: O },
): OpCall<{ readonly [K in C]: D } & { readonly [K in F]: DType }, { readonly [K in O]: D }> {
  return modelDef.call(p) as never;
}
