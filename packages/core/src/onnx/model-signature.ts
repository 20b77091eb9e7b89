// Reading a model's signature (input/output names, element types, shapes) synchronously from the
// file, without onnxruntime: plans check their columns against the model before any work starts,
// and a plan that uses no model never loads the native runtime.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DType, TensorItem } from '../types/dtype.ts';
import { dt, dtypeToString, isFloat, isInteger } from '../types/dtype.ts';
import { DTypeMismatchError, ModaflowError, PathError } from '../errors.ts';
import { decodeSignature, OnnxDataType } from './onnx-proto.ts';
import type { RawValueInfo } from './onnx-proto.ts';

/** One model input or output: element type and shape (numbers fixed, strings symbolic, null unknown). */
export interface TensorSignature {
  readonly name: string;
  /** ONNX TensorProto.DataType code. */
  readonly elemType: number;
  /** The modaflow dtype of one element, or null when modaflow cannot feed or read it (float16, string, bool). */
  readonly item: TensorItem | null;
  readonly shape: readonly (number | string | null)[];
}

/** What a model takes and gives. */
export interface ModelSignature {
  readonly path: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  readonly opset: number | null;
  readonly producer: string;
}

const ITEM_OF: Record<number, () => TensorItem> = {
  [OnnxDataType.FLOAT]: dt.float32,
  [OnnxDataType.DOUBLE]: dt.float64,
  [OnnxDataType.INT8]: dt.int8,
  [OnnxDataType.UINT8]: dt.uint8,
  [OnnxDataType.INT16]: dt.int16,
  [OnnxDataType.UINT16]: dt.uint16,
  [OnnxDataType.INT32]: dt.int32,
  [OnnxDataType.UINT32]: dt.uint32,
  [OnnxDataType.INT64]: dt.int64,
  [OnnxDataType.UINT64]: dt.uint64,
};

const ELEM_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

/** Human-readable element type of an ONNX DataType code. */
export function elemTypeName(code: number): string {
  return ELEM_NAMES[code] ?? `onnx-type-${code}`;
}

/** `float32[batch,3,224,224]` */
export function signatureToString(t: TensorSignature): string {
  return `${elemTypeName(t.elemType)}[${t.shape.map((d) => (d === null ? '?' : d)).join(',')}]`;
}

function tensorSig(v: RawValueInfo): TensorSignature {
  const tt = v.type?.tensorType;
  const elemType = tt?.elemType ?? 0;
  const shape = (tt?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && (d.dimParam === undefined || d.dimParam === '') ? Number(d.dimValue) : d.dimParam ? d.dimParam : null));
  const make = ITEM_OF[elemType];
  return { name: v.name ?? '', elemType, item: make ? make() : null, shape };
}

const KEY = Symbol.for('modaflow/onnx-signature-cache');
const g = globalThis as unknown as { [KEY]?: Map<string, { mtimeMs: number; size: number; sig: ModelSignature }> };
const cache = (g[KEY] ??= new Map());

/**
 * The signature of the ONNX model at `path`, read synchronously and cached until the file changes.
 * Throws a PathError (MF_FILE_MISSING) when the file does not exist and a ModaflowError (MF_MODEL)
 * when it is not an ONNX model.
 */
export function readModelSignature(path: string, ctx: { op?: string } = {}): ModelSignature {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new PathError('MF_FILE_MISSING', `model file ${abs} does not exist`, {
      ...(ctx.op !== undefined ? { op: ctx.op } : {}),
      fix: 'check the model path (relative paths resolve against the current directory); export the model first, see docs/onnx.md',
    });
  }
  const hit = cache.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.sig;
  let sig: ModelSignature;
  try {
    const raw = decodeSignature(readFileSync(abs));
    const graph = raw.graph;
    if (!graph || !graph.output?.length) throw new Error('no graph outputs');
    // Older exports list initializers among the graph inputs; those are weights, not inputs.
    const weights = new Set((graph.initializer ?? []).map((t) => t.name));
    sig = {
      path: abs,
      inputs: (graph.input ?? []).filter((i) => !weights.has(i.name)).map(tensorSig),
      outputs: graph.output.map(tensorSig),
      opset: raw.opsetImport?.find((o) => !o.domain)?.version ?? null,
      producer: raw.producerName ?? '',
    };
  } catch (e) {
    throw new ModaflowError('MF_MODEL', `${abs} is not a readable ONNX model: ${(e as Error).message}`, {
      ...(ctx.op !== undefined ? { op: ctx.op } : {}),
      fix: 'pass a .onnx file written by torch.onnx.export or onnx.save (with weights inside or as external data)',
      cause: e,
    });
  }
  cache.set(abs, { mtimeMs: st.mtimeMs, size: st.size, sig });
  return sig;
}

/** The model input or output named `name`, or a clear error listing the names there are. */
export function findTensor(sig: ModelSignature, kind: 'input' | 'output', name: string, ctx: { op: string; column?: string }): TensorSignature {
  const list = kind === 'input' ? sig.inputs : sig.outputs;
  const t = list.find((x) => x.name === name);
  if (!t) {
    throw new ModaflowError('MF_MODEL', `model ${sig.path} has no ${kind} '${name}'; its ${kind}s are ${list.map((x) => `${x.name}: ${signatureToString(x)}`).join(', ') || '(none)'}`, {
      op: ctx.op, ...(ctx.column !== undefined ? { column: ctx.column } : {}),
      fix: `use one of the model's ${kind} names`,
    });
  }
  return t;
}

/** The per-row form of a column: element dtype, rank and the sizes known from the dtype. */
export interface CellForm {
  readonly item: TensorItem;
  readonly rank: number;
  readonly dims: readonly (number | null)[];
}

/** How a column's rows feed a model input: tensors, numeric lists and scalars qualify. */
export function cellForm(t: DType): CellForm | null {
  switch (t.kind) {
    case 'tensor': return { item: t.item, rank: t.shape.length, dims: t.shape };
    case 'varTensor': return { item: t.item, rank: t.ndim, dims: t.uniformShape ?? new Array(t.ndim).fill(null) };
    case 'list': return isNumericItem(t.item) ? { item: t.item, rank: 1, dims: [null] } : null;
    case 'fixedSizeList': return isNumericItem(t.item) ? { item: t.item, rank: 1, dims: [t.size] } : null;
    default: return isNumericItem(t) ? { item: t, rank: 0, dims: [] } : null;
  }
}

function isNumericItem(t: DType): t is TensorItem {
  return isInteger(t) || isFloat(t);
}

/** Whether values of `from` may be converted to `to` when feeding a model (int→int, float→float). */
export function convertible(from: TensorItem, to: TensorItem): boolean {
  return from.kind === to.kind || (isInteger(from) && isInteger(to)) || (isFloat(from) && isFloat(to));
}

/**
 * Check at plan time that column `column` (dtype `t`) can feed model input `input` row by row:
 * element types convertible, rank = input rank − 1 (the batch axis), fixed sizes equal.
 */
export function checkFeed(t: DType, input: TensorSignature, ctx: { op: string; column: string; model: string }): CellForm {
  const form = cellForm(t);
  const want = signatureToString(input);
  if (!form) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${ctx.column}' (${dtypeToString(t)}) cannot feed model input '${input.name}' (${want}): a tensor, numeric list or number per row is needed`, {
      op: ctx.op, column: ctx.column, fix: 'convert the column to a float32/int tensor first (e.g. image.toTensor, text.tokenize)',
    });
  }
  if (!input.item) {
    throw new ModaflowError('MF_MODEL', `model input '${input.name}' has element type ${elemTypeName(input.elemType)}, which modaflow cannot feed`, {
      op: ctx.op, column: ctx.column, fix: 're-export the model with float32 or integer inputs (e.g. keep_io_types for float16 models)',
    });
  }
  if (!convertible(form.item, input.item)) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${ctx.column}' holds ${form.item.kind} but model input '${input.name}' takes ${want}`, {
      op: ctx.op, column: ctx.column,
      fix: isFloat(input.item) ? 'convert the column to float (e.g. image.toTensor with float32, or image.normalize)' : 'feed integer ids (e.g. from text.tokenize)',
    });
  }
  if (input.shape.length > 0 && input.shape.length !== form.rank + 1) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${ctx.column}' has ${form.rank}-d rows (${dtypeToString(t)}) but model input '${input.name}' is ${want}: rows need ${input.shape.length - 1} dimensions after the batch axis`, {
      op: ctx.op, column: ctx.column, fix: 'reshape the column (e.g. toTensor layout CHW for images) or export the model with a leading batch axis',
    });
  }
  for (let d = 0; d < form.rank; d++) {
    const m = input.shape[d + 1];
    const c = form.dims[d];
    if (typeof m === 'number' && typeof c === 'number' && m !== c) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${ctx.column}' rows are [${form.dims.map((x) => x ?? '?').join(',')}] but model input '${input.name}' is ${want} (dimension ${d + 1}: ${c} ≠ ${m})`, {
        op: ctx.op, column: ctx.column, fix: `resize or crop the input to the model's size, or export the model with dynamic axes`,
      });
    }
  }
  return form;
}

/** The column dtype of one row of a model output: drop the batch axis; fixed sizes → tensor, else var_tensor. */
export function outputDType(out: TensorSignature, ctx: { op: string; model: string }): DType {
  if (!out.item) {
    throw new ModaflowError('MF_MODEL', `model output '${out.name}' has element type ${elemTypeName(out.elemType)}, which modaflow cannot store`, {
      op: ctx.op, fix: 're-export the model with float32 or integer outputs',
    });
  }
  const rest = out.shape.slice(1);
  if (out.shape.length === 0) {
    throw new ModaflowError('MF_MODEL', `model output '${out.name}' has no declared shape, so its column dtype is unknown`, {
      op: ctx.op, fix: 'export the model with output shapes (torch.onnx.export does this), or declare the output dtype in the op params',
    });
  }
  if (rest.length === 0) return out.item;
  if (rest.every((d): d is number => typeof d === 'number')) return dt.tensor(out.item, rest);
  return dt.varTensor(out.item, rest.length);
}
