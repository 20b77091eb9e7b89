// onnx.infer: run any ONNX model over columns. Column → model input, output column → model output;
// rows are batched into the model's batch axis by the shared runner; the model signature is checked
// against the column dtypes when the plan is built.
import type { DType } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import { defineOp } from '../ops/define-op.ts';
import type { OpCall } from '../ops/define-op.ts';
import { InvalidArgumentError, ModaflowError } from '../errors.ts';
import type { ModelSignature, TensorSignature } from './model-signature.ts';
import { checkFeed, findTensor, outputDType, readModelSignature } from './model-signature.ts';
import type { OnnxSessionOptions, SessionHandle } from './session-cache.ts';
import { acquireSession, releaseSession } from './session-cache.ts';
import type { ColumnFeed, DerivedFeed } from './runner.ts';
import { columnCells, outputValues, runBatched } from './runner.ts';

/** Params of onnx.infer (plain data). */
export interface InferParams {
  /** Path of the .onnx file (relative paths resolve against the current directory). */
  readonly model: string;
  /** Column → model input it feeds. */
  readonly inputs: { readonly [column: string]: string };
  /** Output column → model output it stores (one row of the output, batch axis removed). */
  readonly outputs: { readonly [column: string]: string };
  /** Most rows per session.run (default 32). */
  readonly maxBatch?: number;
  /**
   * Columns whose rows may differ in shape and are padded to the longest in the batch with this
   * value. Rows of other columns run in groups of equal shape.
   */
  readonly pad?: { readonly [column: string]: number };
  /** Model input → column whose padding it masks (1 on real positions, 0 on padding). */
  readonly masks?: { readonly [input: string]: string };
  /** Model input → fed with zeros shaped like the first padded column (e.g. token_type_ids). */
  readonly zeros?: { readonly [input: string]: string };
  /** Column dtypes to accept when they differ from the model's (e.g. list<int32> ids into an int64 input). */
  readonly inputDtypes?: { readonly [column: string]: DType };
  /** Session options (threads); the session is shared by every op with the same model and options. */
  readonly session?: OnnxSessionOptions;
  /** Reject rows with NaN/Infinity in float inputs or outputs (default true). */
  readonly checkFinite?: boolean;
}

interface InferState {
  readonly handle: SessionHandle;
  readonly sig: ModelSignature;
}

/** The column dtype a model input takes per row: var_tensor of its rank, or a number for rank 1. */
export function inputColumnDType(t: TensorSignature, ctx: { op: string }): DType {
  if (!t.item) {
    throw new ModaflowError('MF_MODEL', `model input '${t.name}' has an element type modaflow cannot feed`, { op: ctx.op, fix: 're-export the model with float32 or integer inputs' });
  }
  const rank = Math.max(0, t.shape.length - 1);
  return rank === 0 ? t.item : { kind: 'varTensor', item: t.item, ndim: rank };
}

function validateParams(p: InferParams, op: string): void {
  if (typeof p.model !== 'string' || p.model.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'model must be the path of an .onnx file', { op, fix: "pass model: 'models/encoder.onnx'" });
  }
  if (!p.inputs || Object.keys(p.inputs).length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'inputs must map at least one column to a model input', { op, fix: "pass inputs: { pixels: 'input' }" });
  }
  if (!p.outputs || Object.keys(p.outputs).length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'outputs must map at least one output column to a model output', { op, fix: "pass outputs: { embedding: 'output' }" });
  }
  if (p.maxBatch !== undefined && (!Number.isInteger(p.maxBatch) || p.maxBatch < 1)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `maxBatch must be a positive integer, got ${p.maxBatch}`, { op, fix: 'pass e.g. maxBatch: 32' });
  }
  for (const [name, m] of [['pad', p.pad], ['masks', p.masks], ['zeros', p.zeros]] as const) {
    for (const [k, v] of Object.entries(m ?? {})) {
      const col = name === 'pad' ? k : (v as string);
      if (!(col in p.inputs)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${name} refers to column '${col}', which is not among the inputs (${Object.keys(p.inputs).join(', ')})`, {
          op, column: col, fix: `list '${col}' in inputs, or remove it from ${name}`,
        });
      }
      if (name !== 'pad' && !(p.pad && col in p.pad)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${name} input '${k}' follows column '${col}', which is not padded`, { op, column: col, fix: `add pad: { ${col}: 0 }` });
      }
    }
  }
}

/** Plan-time check of params against the model file and the input schema; returns the output schema. */
function checkAgainstModel(p: InferParams, input: Schema | null, op: string): { sig: ModelSignature; out: Schema } {
  const sig = readModelSignature(p.model, { op });
  const fed = new Set<string>();
  for (const [col, name] of Object.entries(p.inputs)) {
    const t = findTensor(sig, 'input', name, { op, column: col });
    fed.add(name);
    const have = input?.[col];
    if (have) checkFeed(have, t, { op, column: col, model: sig.path });
  }
  for (const name of [...Object.keys(p.masks ?? {}), ...Object.keys(p.zeros ?? {})]) {
    const t = findTensor(sig, 'input', name, { op });
    if (!t.item) throw new ModaflowError('MF_MODEL', `model input '${name}' has an element type modaflow cannot feed`, { op, fix: 're-export the model with integer masks' });
    fed.add(name);
  }
  const missing = sig.inputs.filter((t) => !fed.has(t.name));
  if (missing.length) {
    throw new ModaflowError('MF_MODEL', `model input(s) ${missing.map((t) => `'${t.name}'`).join(', ')} are not fed`, {
      op, fix: `map a column to each in inputs (or use masks / zeros for attention masks and token type ids)`,
    });
  }
  const out: Record<string, DType> = {};
  for (const [col, name] of Object.entries(p.outputs)) out[col] = outputDType(findTensor(sig, 'output', name, { op, column: col }), { op, model: sig.path });
  return { sig, out };
}

const OP = 'onnx.infer';

export const inferDef = defineOp<InferParams, InferState>({
  name: OP,
  module: import.meta.url,
  description: 'run an ONNX model over columns, batched, one session per model per worker',
  inputs(p) {
    const sig = readModelSignature(p.model, { op: OP });
    const s: Record<string, DType> = {};
    for (const [col, name] of Object.entries(p.inputs)) s[col] = p.inputDtypes?.[col] ?? inputColumnDType(findTensor(sig, 'input', name, { op: OP, column: col }), { op: OP });
    return s;
  },
  outputs: (p, input) => checkAgainstModel(p, input, OP).out,
  properties: { costPerRow: 1000 },
  validate: (p) => validateParams(p, OP),
  async init(p) {
    const sig = readModelSignature(p.model, { op: OP });
    const handle = await acquireSession(p.model, p.session, { op: OP });
    return { handle, sig };
  },
  dispose: (s) => releaseSession(s.handle),
  async kernel(input, p, ctx) {
    const { handle, sig } = ctx.state;
    const feeds: ColumnFeed[] = Object.entries(p.inputs).map(([col, name]) => ({
      input: findTensor(sig, 'input', name, { op: OP, column: col }),
      column: col,
      cells: columnCells(input.schema[col]!, input.data(col)),
      ...(p.pad && col in p.pad ? { pad: p.pad[col]! } : {}),
      checkFinite: p.checkFinite ?? true,
    }));
    const derived: DerivedFeed[] = [
      ...Object.entries(p.masks ?? {}).map(([name, col]) => ({ input: findTensor(sig, 'input', name, { op: OP }), kind: 'mask' as const, like: p.inputs[col]! })),
      ...Object.entries(p.zeros ?? {}).map(([name, col]) => ({ input: findTensor(sig, 'input', name, { op: OP }), kind: 'zeros' as const, like: p.inputs[col]! })),
    ];
    const outNames = Object.values(p.outputs);
    const rows = await runBatched({ handle, feeds, derived, outputs: outNames, maxBatch: p.maxBatch ?? 32, checkOutputs: p.checkFinite ?? true }, input.numRows, ctx);
    const outSchema = checkAgainstModel(p, null, OP).out;
    const columns: Record<string, unknown[]> = {};
    Object.keys(p.outputs).forEach((col, k) => {
      columns[col] = outputValues(outSchema[col]!, rows.map((r) => r?.[k] ?? null), col, OP);
    });
    return { columns };
  },
});

/**
 * Run an ONNX model over columns.
 *
 * @example
 * ds.map(infer({ model: 'resnet18.onnx', inputs: { pixels: 'input' }, outputs: { logits: 'output' } }))
 */
export function infer<const I extends { readonly [c: string]: string }, const O extends { readonly [c: string]: string }>(
  p: InferParams & { readonly inputs: I; readonly outputs: O },
): OpCall<{ readonly [K in keyof I & string]: DType }, { readonly [K in keyof O & string]: DType }> {
  return inferDef.call(p);
}
