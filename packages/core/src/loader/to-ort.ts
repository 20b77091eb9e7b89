// Collated batches as onnxruntime-node Tensors. onnxruntime-node is imported on first use only, so
// loaders with other outputs never load the native binding.
import type { DType, TypedArray } from '../types/dtype.ts';
import type { CollatedColumn } from './batch-options.ts';

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;

/** The onnxruntime-node module, loaded once. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

const ORT_TYPE: Partial<Record<DType['kind'], string>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', timestamp: 'int64',
};

function elementKind(t: DType): DType['kind'] {
  if (t.kind === 'list' || t.kind === 'fixedSizeList' || t.kind === 'tensor' || t.kind === 'varTensor') return t.item.kind;
  return t.kind;
}

/** Non-negative small integers as int64, written through 32-bit words (no BigInt per element). */
function int64(a: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(a.length);
  const words = new Uint32Array(out.buffer);
  const lo = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // little- or big-endian host
  for (let i = 0; i < a.length; i++) words[2 * i + lo] = a[i]!;
  return out;
}

/**
 * Tensors of a collated batch. Masks, lengths and validity become int64 tensors (`<name>_mask`,
 * `<name>_lengths`, `<name>_valid`): the dtype ONNX exports use for attention masks and lengths.
 */
export async function toOrtTensors(cols: Record<string, CollatedColumn>): Promise<{ tensors: Record<string, import('onnxruntime-node').Tensor>; values: Record<string, unknown[]> }> {
  const ort = await loadOrt();
  const tensors: Record<string, import('onnxruntime-node').Tensor> = {};
  const values: Record<string, unknown[]> = {};
  for (const [name, c] of Object.entries(cols)) {
    const type = ORT_TYPE[elementKind(c.dtype)];
    const nested = c.dtype.kind === 'list' && !ORT_TYPE[c.dtype.item.kind];
    if (type && !Array.isArray(c.data) && !nested) {
      tensors[name] = new ort.Tensor(type as 'float32', c.data as TypedArray as Float32Array, [...c.shape]);
    } else if (c.dtype.kind === 'utf8') {
      tensors[name] = new ort.Tensor('string', (c.data as (string | null)[]).map((s) => s ?? ''), [...c.shape]);
    } else {
      values[name] = c.data as unknown[];
      continue;
    }
    if (c.mask) tensors[`${name}_mask`] = new ort.Tensor('int64', int64(c.mask), [...c.shape]);
    if (c.lengths) tensors[`${name}_lengths`] = new ort.Tensor('int64', int64(c.lengths), c.dtype.kind === 'varTensor' ? [c.shape[0]!, c.dtype.ndim] : [c.shape[0]!]);
    if (c.valid) tensors[`${name}_valid`] = new ort.Tensor('int64', int64(c.valid), [c.shape[0]!]);
  }
  return { tensors, values };
}
