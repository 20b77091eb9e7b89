// Models written in TypeScript with seeded random weights, for tests and benchmarks (nothing is
// downloaded): tiny image / text / audio encoders whose weights are returned so a test can compute
// the same function by hand, and ResNet-18- and MiniLM-shaped models with realistic cost.
import { OnnxGraphBuilder, float, seededUniform, seededWeights } from './graph-builder.ts';

/** A model's bytes plus its weights by name (row-major, ONNX layouts). */
export interface SyntheticModel {
  readonly bytes: Uint8Array;
  readonly weights: Readonly<Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>>;
}

class WeightBag {
  readonly weights: Record<string, { data: Float32Array; dims: number[] }> = {};
  private readonly rand: () => number;
  constructor(readonly g: OnnxGraphBuilder, seed: number) { this.rand = seededUniform(seed); }
  /** Uniform weights in ±scale (default 1/sqrt(fan-in)). */
  add(name: string, dims: number[], scale?: number, fanIn?: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const s = scale ?? 1 / Math.sqrt(fanIn ?? dims.slice(1).reduce((a, b) => a * b, 1));
    const data = seededWeights(this.rand, n, s);
    this.weights[name] = { data, dims };
    return this.g.initializer(name, data, dims);
  }
  /** Constant weights (LayerNorm gamma/beta). */
  fill(name: string, dims: number[], value: number): string {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value);
    this.weights[name] = { data, dims };
    return this.g.initializer(name, data, dims);
  }
}

/**
 * A small CNN image encoder: Conv3x3(C→c1) → Relu → Conv3x3/2(c1→c2) → Relu → GlobalAveragePool →
 * Flatten → Gemm(c2→dim). Input `pixels` [batch, C, H, W] (H and W symbolic unless `size` is
 * given); output `embedding` [batch, dim].
 */
export function tinyImageEncoder(opts: { seed?: number; channels?: number; c1?: number; c2?: number; dim?: number; size?: number } = {}): SyntheticModel {
  const { seed = 1, channels = 3, c1 = 8, c2 = 16, dim = 16 } = opts;
  const g = new OnnxGraphBuilder('tiny_image_encoder');
  const w = new WeightBag(g, seed);
  const h: number | string = opts.size ?? 'height';
  const wd: number | string = opts.size ?? 'width';
  g.input('pixels', 'float32', ['batch', channels, h, wd]);
  let x = g.node('Conv', ['pixels', w.add('conv1.weight', [c1, channels, 3, 3]), w.add('conv1.bias', [c1], 0.1)], 1, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
  x = g.node('Relu', [x]);
  x = g.node('Conv', [x, w.add('conv2.weight', [c2, c1, 3, 3]), w.add('conv2.bias', [c2], 0.1)], 1, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
  x = g.node('Relu', [x]);
  x = g.node('GlobalAveragePool', [x]);
  x = g.node('Flatten', [x], 1, { axis: 1 });
  g.node('Gemm', [x, w.add('fc.weight', [dim, c2]), w.add('fc.bias', [dim], 0.1)], ['embedding'], { transB: 1 });
  g.output('embedding', 'float32', ['batch', dim]);
  return { bytes: g.toBytes(), weights: w.weights };
}

/**
 * An embedding + mean-pool text encoder: Gather(emb, input_ids) → MatMul + Add → Tanh gives
 * `last_hidden_state` [batch, seq, hidden]; `sentence_embedding` [batch, hidden] is its masked mean
 * (Cast/Unsqueeze/Mul/ReduceSum/Div), NaN for a row whose mask is all zero.
 */
export function tinyTextEncoder(opts: { seed?: number; vocab?: number; hidden?: number } = {}): SyntheticModel {
  const { seed = 2, vocab = 100, hidden = 16 } = opts;
  const g = new OnnxGraphBuilder('tiny_text_encoder');
  const w = new WeightBag(g, seed);
  g.input('input_ids', 'int64', ['batch', 'sequence']);
  g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const emb = g.node('Gather', [w.add('embeddings', [vocab, hidden], 1), 'input_ids'], 1, { axis: 0 });
  const lin = g.node('Add', [g.node('MatMul', [emb, w.add('dense.weight', [hidden, hidden])]), w.add('dense.bias', [hidden], 0.1)]);
  g.node('Tanh', [lin], ['last_hidden_state']);
  const m = g.node('Unsqueeze', [g.node('Cast', ['attention_mask'], 1, { to: 1 }), g.ints('axes', [2])]);
  const sum = g.node('ReduceSum', [g.node('Mul', ['last_hidden_state', m]), g.ints('axes', [1])], 1, { keepdims: 0 });
  const count = g.node('ReduceSum', [m, g.ints('axes', [1])], 1, { keepdims: 0 });
  g.node('Div', [sum, count], ['sentence_embedding']);
  g.output('last_hidden_state', 'float32', ['batch', 'sequence', hidden]);
  g.output('sentence_embedding', 'float32', ['batch', hidden]);
  return { bytes: g.toBytes(), weights: w.weights };
}

/**
 * A conv1d audio encoder: `waveform` [batch, samples] → Unsqueeze → Conv1d(k8/4, 1→c1) → Relu →
 * Conv1d(k4/2, c1→c2) → Relu → GlobalAveragePool → Flatten → Gemm(c2→dim) = `embedding` [batch, dim].
 */
export function tinyAudioEncoder(opts: { seed?: number; c1?: number; c2?: number; dim?: number } = {}): SyntheticModel {
  const { seed = 3, c1 = 8, c2 = 8, dim = 8 } = opts;
  const g = new OnnxGraphBuilder('tiny_audio_encoder');
  const w = new WeightBag(g, seed);
  g.input('waveform', 'float32', ['batch', 'samples']);
  let x = g.node('Unsqueeze', ['waveform', g.ints('axes', [1])]);
  x = g.node('Conv', [x, w.add('conv1.weight', [c1, 1, 8]), w.add('conv1.bias', [c1], 0.1)], 1, { kernel_shape: [8], strides: [4] });
  x = g.node('Relu', [x]);
  x = g.node('Conv', [x, w.add('conv2.weight', [c2, c1, 4]), w.add('conv2.bias', [c2], 0.1)], 1, { kernel_shape: [4], strides: [2] });
  x = g.node('Relu', [x]);
  x = g.node('GlobalAveragePool', [x]);
  x = g.node('Flatten', [x], 1, { axis: 1 });
  g.node('Gemm', [x, w.add('fc.weight', [dim, c2]), w.add('fc.bias', [dim], 0.1)], ['embedding'], { transB: 1 });
  g.output('embedding', 'float32', ['batch', dim]);
  return { bytes: g.toBytes(), weights: w.weights };
}

/**
 * A ResNet-18-shaped image classifier (batch-norm folded into conv biases, as after export with
 * fusion): 7x7/2 stem, max-pool, 4 stages of 2 basic blocks (64-128-256-512), global average pool,
 * fc to `classes` (`width` scales the channels; 64 is ResNet-18). Input `pixels` [batch, 3, size, size], output `logits` [batch, classes].
 * About 11.7M weights (47 MB): generate it into a temp dir, never commit it.
 */
export function resnet18Like(opts: { seed?: number; size?: number; classes?: number; width?: number } = {}): Uint8Array {
  const { seed = 18, size = 224, classes = 1000, width = 64 } = opts;
  const g = new OnnxGraphBuilder('resnet18_like');
  const w = new WeightBag(g, seed);
  let n = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, pad: number): string => {
    const id = n++;
    return g.node('Conv', [x, w.add(`conv${id}.weight`, [cout, cin, k, k], Math.sqrt(2 / (cin * k * k))), w.add(`conv${id}.bias`, [cout], 0.01)], 1, {
      kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride],
    });
  };
  g.input('pixels', 'float32', ['batch', 3, size, size]);
  let x = g.node('Relu', [conv('pixels', 3, width, 7, 2, 3)]);
  x = g.node('MaxPool', [x], 1, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
  let cin = width;
  for (const [stage, cout] of [width, 2 * width, 4 * width, 8 * width].entries()) {
    for (let b = 0; b < 2; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const y = conv(g.node('Relu', [conv(x, cin, cout, 3, stride, 1)]), cout, cout, 3, 1, 1);
      const skip = stride !== 1 || cin !== cout ? conv(x, cin, cout, 1, stride, 0) : x;
      x = g.node('Relu', [g.node('Add', [y, skip])]);
      cin = cout;
    }
  }
  x = g.node('Flatten', [g.node('GlobalAveragePool', [x])], 1, { axis: 1 });
  g.node('Gemm', [x, w.add('fc.weight', [classes, 8 * width]), w.add('fc.bias', [classes], 0.01)], ['logits'], { transB: 1 });
  g.output('logits', 'float32', ['batch', classes]);
  return g.toBytes();
}

/**
 * A MiniLM-shaped BERT encoder (all-MiniLM-L6-v2 sizes by default: 6 layers, hidden 384, 12 heads,
 * FFN 1536, vocab 30522): word + position + type embeddings, LayerNorm, self-attention with the
 * additive mask, GELU (erf) FFN. Inputs `input_ids`, `attention_mask` (int64 [batch, sequence]);
 * output `last_hidden_state` [batch, sequence, hidden]. About 22.7M weights (91 MB) by default.
 */
export function miniLmLike(opts: { seed?: number; vocab?: number; hidden?: number; layers?: number; heads?: number; intermediate?: number; maxPositions?: number } = {}): Uint8Array {
  const { seed = 6, vocab = 30522, hidden: H = 384, layers = 6, heads = 12, intermediate = 1536, maxPositions = 512 } = opts;
  const hd = H / heads;
  const g = new OnnxGraphBuilder('minilm_like');
  const w = new WeightBag(g, seed);
  g.input('input_ids', 'int64', ['batch', 'sequence']);
  g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const layerNorm = (x: string, name: string) =>
    g.node('LayerNormalization', [x, w.fill(`${name}.gamma`, [H], 1), w.fill(`${name}.beta`, [H], 0)], 1, { axis: -1, epsilon: float(1e-12) });
  const linear = (x: string, name: string, fin: number, fout: number) =>
    g.node('Add', [g.node('MatMul', [x, w.add(`${name}.weight`, [fin, fout], 1 / Math.sqrt(fin))]), w.add(`${name}.bias`, [fout], 0.02)]);
  // Positions 0..L-1: slice the position table to the sequence length.
  const seqLen = g.node('Slice', [g.node('Shape', ['input_ids']), g.ints('start', [1]), g.ints('end', [2])]);
  const pos = g.node('Slice', [w.add('position_embeddings', [maxPositions, H], 0.02), g.ints('zero', [0]), seqLen, g.ints('axis', [0])]);
  let x = g.node('Gather', [w.add('word_embeddings', [vocab, H], 0.02), 'input_ids'], 1, { axis: 0 });
  x = g.node('Add', [g.node('Add', [x, pos]), w.add('token_type_embedding', [H], 0.02)]);
  x = layerNorm(x, 'embeddings.norm');
  const maskF = g.node('Cast', ['attention_mask'], 1, { to: 1 });
  const bias = g.node('Unsqueeze', [g.node('Mul', [g.node('Sub', [g.scalar('one', 1), maskF]), g.scalar('neg', -10000)]), g.ints('axes', [1, 2])]);
  const heads4 = g.ints('shape', [0, 0, heads, hd]);
  const back3 = g.ints('shape', [0, 0, H]);
  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const split = (name: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [linear(x, `${p}.${name}`, H, H), heads4])], 1, { perm });
    const q = split('query', [0, 2, 1, 3]);
    const k = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), g.scalar('scale', 1 / Math.sqrt(hd))]), bias]);
    const probs = g.node('Softmax', [scores], 1, { axis: -1 });
    const ctx = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], 1, { perm: [0, 2, 1, 3] }), back3]);
    const x1 = layerNorm(g.node('Add', [linear(ctx, `${p}.attn_out`, H, H), x]), `${p}.attn_norm`);
    const f = linear(x1, `${p}.ffn_in`, H, intermediate);
    const gelu = g.node('Mul', [g.node('Mul', [f, g.scalar('half', 0.5)]), g.node('Add', [g.scalar('one', 1), g.node('Erf', [g.node('Div', [f, g.scalar('sqrt2', Math.SQRT2)])])])]);
    x = layerNorm(g.node('Add', [linear(gelu, `${p}.ffn_out`, intermediate, H), x1]), `${p}.ffn_norm`);
  }
  g.node('Identity', [x], ['last_hidden_state']);
  g.output('last_hidden_state', 'float32', ['batch', 'sequence', H]);
  return g.toBytes();
}
