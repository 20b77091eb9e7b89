// Straightforward TypeScript implementations of the tiny synthetic models (one sample at a time,
// float64 accumulation): the golden reference the onnxruntime outputs are compared with.
import type { SyntheticModel } from '../../src/onnx/index.ts';

type W = SyntheticModel['weights'];

/** NCHW conv of one sample: x [C,H,W], w [O,C,k,k], zero padding. Returns [O,H',W'] and its dims. */
export function conv2d(x: Float64Array, C: number, H: number, Wd: number, w: Float32Array, b: Float32Array, O: number, k: number, stride: number, pad: number) {
  const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const Wo = Math.floor((Wd + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(O * Ho * Wo);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let s = b[o]!;
        for (let c = 0; c < C; c++) {
          for (let ki = 0; ki < k; ki++) {
            const yi = i * stride - pad + ki;
            if (yi < 0 || yi >= H) continue;
            for (let kj = 0; kj < k; kj++) {
              const xj = j * stride - pad + kj;
              if (xj < 0 || xj >= Wd) continue;
              s += x[(c * H + yi) * Wd + xj]! * w[((o * C + c) * k + ki) * k + kj]!;
            }
          }
        }
        y[(o * Ho + i) * Wo + j] = s;
      }
    }
  }
  return { y, H: Ho, W: Wo };
}

/** 1-d conv of one sample: x [C,T], w [O,C,k], no padding. */
export function conv1d(x: Float64Array, C: number, T: number, w: Float32Array, b: Float32Array, O: number, k: number, stride: number) {
  const To = Math.floor((T - k) / stride) + 1;
  const y = new Float64Array(O * To);
  for (let o = 0; o < O; o++) {
    for (let t = 0; t < To; t++) {
      let s = b[o]!;
      for (let c = 0; c < C; c++) for (let q = 0; q < k; q++) s += x[c * T + t * stride + q]! * w[(o * C + c) * k + q]!;
      y[o * To + t] = s;
    }
  }
  return { y, T: To };
}

const relu = (a: Float64Array) => a.map((v) => (v > 0 ? v : 0));

function channelMeans(y: Float64Array, C: number): Float64Array {
  const per = y.length / C;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) { let s = 0; for (let i = 0; i < per; i++) s += y[c * per + i]!; out[c] = s / per; }
  return out;
}

function fc(x: Float64Array, w: Float32Array, b: Float32Array, O: number): Float64Array {
  const I = x.length;
  const out = new Float64Array(O);
  for (let o = 0; o < O; o++) { let s = b[o]!; for (let i = 0; i < I; i++) s += x[i]! * w[o * I + i]!; out[o] = s; }
  return out;
}

/** tinyImageEncoder on one [C,H,W] image. */
export function refImage(weights: W, img: ArrayLike<number>, C: number, H: number, Wd: number): Float64Array {
  const w = (n: string) => weights[n]!;
  const c1 = w('conv1.bias').dims[0]!, c2 = w('conv2.bias').dims[0]!, dim = w('fc.bias').dims[0]!;
  const a = conv2d(Float64Array.from(img), C, H, Wd, w('conv1.weight').data, w('conv1.bias').data, c1, 3, 1, 1);
  const b = conv2d(relu(a.y), c1, a.H, a.W, w('conv2.weight').data, w('conv2.bias').data, c2, 3, 2, 1);
  return fc(channelMeans(relu(b.y), c2), w('fc.weight').data, w('fc.bias').data, dim);
}

/** tinyAudioEncoder on one waveform. */
export function refAudio(weights: W, wave: ArrayLike<number>): Float64Array {
  const w = (n: string) => weights[n]!;
  const c1 = w('conv1.bias').dims[0]!, c2 = w('conv2.bias').dims[0]!, dim = w('fc.bias').dims[0]!;
  const a = conv1d(Float64Array.from(wave), 1, wave.length, w('conv1.weight').data, w('conv1.bias').data, c1, 8, 4);
  const b = conv1d(relu(a.y), c1, a.T, w('conv2.weight').data, w('conv2.bias').data, c2, 4, 2);
  return fc(channelMeans(relu(b.y), c2), w('fc.weight').data, w('fc.bias').data, dim);
}

/** tinyTextEncoder on one sequence: last_hidden_state [L,H] and the masked mean [H]. */
export function refText(weights: W, ids: ArrayLike<number>, mask: ArrayLike<number>): { hidden: Float64Array[]; mean: Float64Array } {
  const emb = weights['embeddings']!, dw = weights['dense.weight']!, db = weights['dense.bias']!;
  const H = emb.dims[1]!;
  const hidden: Float64Array[] = [];
  const mean = new Float64Array(H);
  let count = 0;
  for (let t = 0; t < ids.length; t++) {
    const e = emb.data.subarray(ids[t]! * H, (ids[t]! + 1) * H);
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) { let s = db.data[j]!; for (let i = 0; i < H; i++) s += e[i]! * dw.data[i * H + j]!; h[j] = Math.tanh(s); }
    hidden.push(h);
    if (mask[t]) { count++; for (let j = 0; j < H; j++) mean[j]! += h[j]!; }
  }
  for (let j = 0; j < H; j++) mean[j]! /= count;
  return { hidden, mean };
}

/** max |a − b| / (atol + rtol·|b|) ≤ 1 means close. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4, what = ''): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}[${i}]: ${a} vs ${e} (atol ${atol}, rtol ${rtol})`);
  }
}
