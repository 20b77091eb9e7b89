// text.embed: token ids (+ attention mask) per row → one sentence embedding per row through an
// ONNX transformer encoder (BERT, MiniLM, E5 exported from PyTorch): rows of different lengths are
// padded to the longest in the model batch with the mask marking the padding, then the hidden
// states are pooled (masked mean or CLS) and optionally L2-normalized.
import { defineOp, dt, onnx, InvalidArgumentError, ModaflowError } from '@modaflow/core';
import type { DType, FixedShapeTensor, FixedSizeList, Float32, Int32, Int64, List, OpCall, TypedArray, VariableShapeTensor } from '@modaflow/core';

/** Token columns embedText reads: lists (unpadded) or fixed-size/tensor rows (padded). */
export type TokenIdsDType =
  | List<Int32> | List<Int64>
  | FixedSizeList<Int32> | FixedSizeList<Int64>
  | FixedShapeTensor<Int32, readonly [number]> | FixedShapeTensor<Int64, readonly [number]>
  | VariableShapeTensor<Int32, 1> | VariableShapeTensor<Int64, 1>;

/** Params of text.embed. */
export interface EmbedTextParams {
  /** Path of the .onnx model (inputs input_ids [+ attention_mask, token_type_ids], int64 [batch, sequence]). */
  readonly model: string;
  /** Column of token ids (text.tokenize output). */
  readonly inputIds: string;
  /** Column of the attention mask; when absent, every token of a row counts and padding does not. */
  readonly attentionMask?: string;
  /** Output column: tensor<float32>[hidden]. */
  readonly output: string;
  /** 'mean' (masked mean of the hidden states, default), 'cls' (first token), 'none' (the output is already [batch, hidden]). */
  readonly pooling?: 'mean' | 'cls' | 'none';
  /** Scale each embedding to unit L2 norm (default false; sentence-transformers models usually want true). */
  readonly normalize?: boolean;
  /** Model output to read (default last_hidden_state, else the first). */
  readonly outputName?: string;
  /** Model input names, when they differ from the Hugging Face ones. */
  readonly inputNames?: { readonly ids?: string; readonly mask?: string; readonly typeIds?: string };
  /** Dtype of the ids (and mask) columns (default list<int32>, text.tokenize's unpadded output). */
  readonly idsDtype?: DType;
  /** Id used to pad rows to the longest in a model batch (default 0, BERT's [PAD]). */
  readonly padId?: number;
  /** Most rows per session.run (default 32). */
  readonly maxBatch?: number;
  /** Session options (threads); sessions are shared per model per worker. */
  readonly session?: onnx.OnnxSessionOptions;
}

const OP = 'text.embed';

function resolve(p: EmbedTextParams) {
  const sig = onnx.readModelSignature(p.model, { op: OP });
  const names = p.inputNames ?? {};
  const ids = onnx.findTensor(sig, 'input', names.ids ?? 'input_ids', { op: OP, column: p.inputIds });
  const mask = sig.inputs.find((t) => t.name === (names.mask ?? 'attention_mask')) ?? null;
  const typeIds = sig.inputs.find((t) => t.name === (names.typeIds ?? 'token_type_ids')) ?? null;
  onnx.assertAllFed(OP, sig, [ids.name, ...(mask ? [mask.name] : []), ...(typeIds ? [typeIds.name] : [])]);
  const output = onnx.pickTensor(sig, 'output', { op: OP, column: p.output }, p.outputName, ['last_hidden_state']);
  const pooling = p.pooling ?? 'mean';
  const want = pooling === 'none' ? 2 : 3;
  if (output.shape.length !== want) {
    throw new ModaflowError('MF_MODEL', `pooling '${pooling}' needs a model output of rank ${want} ([batch${want === 3 ? ', sequence' : ''}, hidden]) but '${output.name}' is ${onnx.signatureToString(output)}`, {
      op: OP, fix: pooling === 'none' ? "use pooling: 'mean' or 'cls' on last_hidden_state" : "use pooling: 'none' for a pooled output, or pick last_hidden_state with outputName",
    });
  }
  return { sig, ids, mask, typeIds, output, pooling, hidden: onnx.fixedSize(output, want - 1, { op: OP }) };
}

export const embedTextDef = defineOp<EmbedTextParams, { handle: onnx.SessionHandle }>({
  name: OP,
  module: import.meta.url,
  description: 'embed token ids with an ONNX transformer encoder (masked mean or CLS pooling)',
  inputs(p) {
    const t = p.idsDtype ?? dt.list(dt.int32());
    return p.attentionMask ? { [p.inputIds]: t, [p.attentionMask]: t } : { [p.inputIds]: t };
  },
  outputs(p, input) {
    const r = resolve(p);
    const ctx = { op: OP, model: r.sig.path };
    if (input[p.inputIds]) onnx.checkFeed(input[p.inputIds]!, r.ids, { ...ctx, column: p.inputIds });
    if (p.attentionMask && input[p.attentionMask] && r.mask) onnx.checkFeed(input[p.attentionMask]!, r.mask, { ...ctx, column: p.attentionMask });
    return { [p.output]: dt.tensor(dt.float32(), [r.hidden]) };
  },
  properties: { costPerRow: 3000 },
  validate(p) {
    onnx.validateEncodeParams(OP, p);
    if (p.pooling !== undefined && !['mean', 'cls', 'none'].includes(p.pooling)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `pooling must be 'mean', 'cls' or 'none', got '${String(p.pooling)}'`, { op: OP, fix: "pass pooling: 'mean'" });
    }
  },
  init: async (p) => ({ handle: await onnx.acquireSession(p.model, p.session, { op: OP }) }),
  dispose: (s) => onnx.releaseSession(s.handle),
  async kernel(input, p, ctx) {
    const r = resolve(p);
    const n = input.numRows;
    const ids = onnx.columnCells(input.schema[p.inputIds]!, input.data(p.inputIds));
    const masks = p.attentionMask ? onnx.columnCells(input.schema[p.attentionMask]!, input.data(p.attentionMask)) : null;
    if (masks) {
      for (let i = 0; i < n; i++) {
        const a = ids[i], m = masks[i];
        if (a && m && a.data.length !== m.data.length) {
          ctx.rowError(i, `input_ids has ${a.data.length} tokens but attention_mask has ${m.data.length}`, { column: p.attentionMask!, code: 'MF_DTYPE_MISMATCH' });
          ids[i] = null;
        } else if (a && !m) ids[i] = null;
      }
    }
    const feeds: onnx.ColumnFeed[] = [{ input: r.ids, column: p.inputIds, cells: ids, pad: p.padId ?? 0 }];
    const derived: onnx.DerivedFeed[] = [];
    if (r.mask && masks) feeds.push({ input: r.mask, column: p.attentionMask!, cells: masks, pad: 0 });
    else if (r.mask) derived.push({ input: r.mask, kind: 'mask', like: r.ids.name });
    if (r.typeIds) derived.push({ input: r.typeIds, kind: 'zeros', like: r.ids.name });
    const rows = await onnx.runBatched({ handle: ctx.state.handle, feeds, derived, outputs: [r.output.name], maxBatch: p.maxBatch ?? 32 }, n, ctx);
    const out = rows.map((row, i) => {
      if (!row) return null;
      const h = row[0]!;
      let v: Float32Array | null;
      if (r.pooling === 'none') v = onnx.flattenRow(h);
      else if (r.pooling === 'cls') v = (h.data as Float32Array).slice(0, r.hidden);
      else v = onnx.maskedMean(h, ids[i]!.data.length, masks ? (masks[i]!.data as TypedArray) : null);
      if (!v) {
        ctx.rowError(i, 'the attention mask of this row is all zeros: nothing to pool', { column: p.attentionMask ?? p.inputIds, code: 'MF_ROW_ERROR' });
        return null;
      }
      return { data: p.normalize ? onnx.l2Normalize(v) : v, shape: [r.hidden] };
    });
    return { columns: { [p.output]: out } };
  },
});

/**
 * Embed tokenized text: input_ids (+ attention_mask) → last_hidden_state → mean or CLS pooling
 * → tensor<float32>[hidden], batched with padding through an ONNX encoder.
 *
 * @example
 * ds.map(tokenize({ column: 'text', vocab: 'vocab.txt' }))
 *   .map(embedText({ model: 'minilm.onnx', inputIds: 'input_ids', attentionMask: 'attention_mask', output: 'embedding', normalize: true }))
 */
export function embedText<C extends string, O extends string, M extends string = never, T extends TokenIdsDType = List<Int32>>(
  p: EmbedTextParams & { readonly inputIds: C; readonly output: O; readonly attentionMask?: M; readonly idsDtype?: T },
): OpCall<{ readonly [K in C | M]: T }, { readonly [K in O]: FixedShapeTensor<Float32, readonly [number]> }> {
  return embedTextDef.call(p);
}
