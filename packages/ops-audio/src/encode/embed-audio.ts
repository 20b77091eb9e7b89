// audio.embed: a waveform (or a feature matrix such as log-mel frames) per row → one embedding per
// row through an ONNX audio encoder (wav2vec2, CLAP audio, a conv1d net exported from PyTorch).
// Rows of equal shape share a session.run; frame outputs [batch, time, dim] are mean-pooled.
import { defineOp, dt, onnx, InvalidArgumentError, ModaflowError } from '@modaflow/core';
import type { DType, FixedShapeTensor, Float32, List, OpCall, VariableShapeTensor } from '@modaflow/core';

/** Columns embedAudio reads: a mono waveform per row, or a 2-d feature matrix. */
export type AudioInputDType =
  | VariableShapeTensor<Float32, 1> | FixedShapeTensor<Float32, readonly [number]> | List<Float32>
  | VariableShapeTensor<Float32, 2> | FixedShapeTensor<Float32, readonly [number, number]>;

/** Params of audio.embed. */
export interface EmbedAudioParams {
  /** Path of the .onnx model (input [batch, samples] or [batch, C, T]; output [batch, D] or [batch, T', D]). */
  readonly model: string;
  /** Column of float32 samples (or features). */
  readonly column: string;
  /** Output column: tensor<float32>[D]. */
  readonly output: string;
  /** Model input to feed (default: the model's only input). */
  readonly input?: string;
  /** Model output to read (default: the first). */
  readonly outputName?: string;
  /** 'mean' over the time axis of a [batch, time, dim] output, or 'none' for [batch, dim] (default: by output rank). */
  readonly pooling?: 'mean' | 'none';
  /** Scale each embedding to unit L2 norm (default false). */
  readonly normalize?: boolean;
  /** Dtype of the column (default var_tensor<float32>[ndim=1], which also takes tensor<float32>[N]). */
  readonly inputDtype?: DType;
  /** Most clips per session.run (default 16). Clips of different lengths run in separate groups. */
  readonly maxBatch?: number;
  /** Session options (threads); sessions are shared per model per worker. */
  readonly session?: onnx.OnnxSessionOptions;
  /** Reject rows with NaN/Infinity in samples or embedding (default true). */
  readonly checkFinite?: boolean;
}

const OP = 'audio.embed';

function resolve(p: EmbedAudioParams) {
  const sig = onnx.readModelSignature(p.model, { op: OP });
  const input = onnx.pickTensor(sig, 'input', { op: OP, column: p.column }, p.input);
  onnx.assertAllFed(OP, sig, [input.name]);
  const output = onnx.pickTensor(sig, 'output', { op: OP, column: p.output }, p.outputName);
  const pooling = p.pooling ?? (output.shape.length === 3 ? 'mean' : 'none');
  const want = pooling === 'mean' ? 3 : 2;
  if (output.shape.length !== want) {
    throw new ModaflowError('MF_MODEL', `pooling '${pooling}' needs a model output of rank ${want} but '${output.name}' is ${onnx.signatureToString(output)}`, {
      op: OP, fix: "use pooling: 'mean' for [batch, time, dim] outputs and 'none' for [batch, dim]",
    });
  }
  return { sig, input, output, pooling, dim: onnx.fixedSize(output, want - 1, { op: OP }) };
}

export const embedAudioDef = defineOp<EmbedAudioParams, { handle: onnx.SessionHandle }>({
  name: OP,
  module: import.meta.url,
  description: 'embed waveforms or features with an ONNX audio encoder',
  inputs: (p) => ({ [p.column]: p.inputDtype ?? dt.varTensor(dt.float32(), 1) }),
  outputs(p, input) {
    const r = resolve(p);
    if (input[p.column]) onnx.checkFeed(input[p.column]!, r.input, { op: OP, column: p.column, model: r.sig.path });
    return { [p.output]: dt.tensor(dt.float32(), [r.dim]) };
  },
  properties: { costPerRow: 5000 },
  validate(p) {
    onnx.validateEncodeParams(OP, p);
    if (p.pooling !== undefined && p.pooling !== 'mean' && p.pooling !== 'none') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `pooling must be 'mean' or 'none', got '${String(p.pooling)}'`, { op: OP, fix: "pass pooling: 'mean'" });
    }
  },
  init: async (p) => ({ handle: await onnx.acquireSession(p.model, p.session, { op: OP }) }),
  dispose: (s) => onnx.releaseSession(s.handle),
  async kernel(input, p, ctx) {
    const r = resolve(p);
    const rows = await onnx.runBatched({
      handle: ctx.state.handle,
      feeds: [{ input: r.input, column: p.column, cells: onnx.columnCells(input.schema[p.column]!, input.data(p.column)), checkFinite: p.checkFinite ?? true }],
      outputs: [r.output.name],
      maxBatch: p.maxBatch ?? 16,
      checkOutputs: p.checkFinite ?? true,
    }, input.numRows, ctx);
    const out = rows.map((row, i) => {
      if (!row) return null;
      const h = row[0]!;
      const v = r.pooling === 'mean' ? onnx.maskedMean(h, h.shape[0]!, null) : onnx.flattenRow(h);
      if (!v) {
        ctx.rowError(i, 'the model returned no frames for this clip (too short for its receptive field)', { column: p.column, code: 'MF_ROW_ERROR' });
        return null;
      }
      return { data: p.normalize ? onnx.l2Normalize(v) : v, shape: [r.dim] };
    });
    return { columns: { [p.output]: out } };
  },
});

/**
 * Embed audio: float32 samples (or features) per row → tensor<float32>[D] through an ONNX encoder.
 *
 * @example
 * ds.map(decodeAudio({ column: 'path', output: 'wave', mono: true }))
 *   .map(embedAudio({ model: 'audio-encoder.onnx', column: 'wave', output: 'embedding' }))
 */
export function embedAudio<C extends string, O extends string, T extends AudioInputDType = VariableShapeTensor<Float32, 1>>(
  p: EmbedAudioParams & { readonly column: C; readonly output: O; readonly inputDtype?: T },
): OpCall<{ readonly [K in C]: T | (T extends VariableShapeTensor<Float32, 1> ? FixedShapeTensor<Float32, readonly [number]> : never) }, { readonly [K in O]: FixedShapeTensor<Float32, readonly [number]> }> {
  return embedAudioDef.call(p);
}
