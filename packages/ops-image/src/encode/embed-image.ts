// image.embed: a CHW float tensor per row → one embedding vector per row through an ONNX image
// encoder (ResNet, CLIP vision, ViT exported from PyTorch), batched by the shared core runner.
import { defineOp, dt, onnx } from '@modaflow/core';
import type { FixedShapeTensor, Float32, OpCall, VariableShapeTensor } from '@modaflow/core';

/** Params of image.embed. */
export interface EmbedImageParams {
  /** Path of the .onnx model (input [batch, C, H, W] float, output [batch, D] or [batch, D, 1, 1]). */
  readonly model: string;
  /** Column of CHW float32 tensors (e.g. from toTensor + normalize). */
  readonly column: string;
  /** Output column: tensor<float32>[D]. */
  readonly output: string;
  /** Model input to feed (default: the model's only input). */
  readonly input?: string;
  /** Model output to read (default: the first). */
  readonly outputName?: string;
  /** Scale each embedding to unit L2 norm (default false). */
  readonly normalize?: boolean;
  /** Most images per session.run (default 32). */
  readonly maxBatch?: number;
  /** Session options (threads); sessions are shared per model per worker. */
  readonly session?: onnx.OnnxSessionOptions;
  /** Reject rows with NaN/Infinity in pixels or embedding (default true). */
  readonly checkFinite?: boolean;
}

const OP = 'image.embed';

function resolve(p: EmbedImageParams) {
  const sig = onnx.readModelSignature(p.model, { op: OP });
  const input = onnx.pickTensor(sig, 'input', { op: OP, column: p.column }, p.input);
  const output = onnx.pickTensor(sig, 'output', { op: OP, column: p.output }, p.outputName);
  onnx.assertAllFed(OP, sig, [input.name]);
  return { sig, input, output, dim: onnx.fixedSize(output, 1, { op: OP }) };
}

export const embedImageDef = defineOp<EmbedImageParams, { handle: onnx.SessionHandle }>({
  name: OP,
  module: import.meta.url,
  description: 'embed CHW float images with an ONNX image encoder',
  inputs: (p) => ({ [p.column]: dt.varTensor(dt.float32(), 3) }),
  outputs(p, input) {
    const r = resolve(p);
    const have = input[p.column];
    if (have) onnx.checkFeed(have, r.input, { op: OP, column: p.column, model: r.sig.path });
    return { [p.output]: dt.tensor(dt.float32(), [r.dim]) };
  },
  properties: { costPerRow: 5000 },
  validate: (p) => onnx.validateEncodeParams(OP, p),
  init: async (p) => ({ handle: await onnx.acquireSession(p.model, p.session, { op: OP }) }),
  dispose: (s) => onnx.releaseSession(s.handle),
  async kernel(input, p, ctx) {
    const r = resolve(p);
    const rows = await onnx.runBatched({
      handle: ctx.state.handle,
      feeds: [{ input: r.input, column: p.column, cells: onnx.columnCells(input.schema[p.column]!, input.data(p.column)), checkFinite: p.checkFinite ?? true }],
      outputs: [r.output.name],
      maxBatch: p.maxBatch ?? 32,
      checkOutputs: p.checkFinite ?? true,
    }, input.numRows, ctx);
    const out = rows.map((row) => {
      if (!row) return null;
      const v = onnx.flattenRow(row[0]!);
      return { data: p.normalize ? onnx.l2Normalize(v) : v, shape: [r.dim] };
    });
    return { columns: { [p.output]: out } };
  },
});

/**
 * Embed images: a CHW float32 tensor per row → tensor<float32>[D], batched through an ONNX model.
 *
 * @example
 * ds.map(toTensor({ column: 'image', output: 'pixels' }))
 *   .map(embedImage({ model: 'resnet18.onnx', column: 'pixels', output: 'embedding', normalize: true }))
 */
export function embedImage<C extends string, O extends string>(
  p: EmbedImageParams & { readonly column: C; readonly output: O },
): OpCall<{ readonly [K in C]: VariableShapeTensor<Float32, 3> | FixedShapeTensor<Float32, readonly [number, number, number]> }, { readonly [K in O]: FixedShapeTensor<Float32, readonly [number]> }> {
  return embedImageDef.call(p);
}
