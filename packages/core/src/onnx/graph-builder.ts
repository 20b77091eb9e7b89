// A small ONNX graph builder: inputs, outputs, initializers and nodes, serialized with the in-code
// onnx.proto schema. Enough to write test and benchmark models in TypeScript (nothing downloads);
// real models come from torch.onnx.export (see docs/onnx.md).
import { InvalidArgumentError } from '../errors.ts';
import { encodeModel, OnnxAttributeType, OnnxDataType } from './onnx-proto.ts';
import type { AttributeObject, NodeProtoObject, TensorProtoObject, ValueInfoObject } from './onnx-proto.ts';

/** Element types the builder writes, named like modaflow dtypes. */
export type OnnxElemName = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

const ELEM: Record<OnnxElemName, number> = {
  float32: OnnxDataType.FLOAT,
  float64: OnnxDataType.DOUBLE,
  int8: OnnxDataType.INT8,
  uint8: OnnxDataType.UINT8,
  int16: OnnxDataType.INT16,
  uint16: OnnxDataType.UINT16,
  int32: OnnxDataType.INT32,
  uint32: OnnxDataType.UINT32,
  int64: OnnxDataType.INT64,
  uint64: OnnxDataType.UINT64,
  bool: OnnxDataType.BOOL,
};

/** A forced-float attribute (a plain integer number would be written as INT). */
export interface FloatAttr { readonly float: number }
/** Attribute values: integers → INT, other numbers → FLOAT, arrays → INTS (FLOATS for floats()), strings → STRING. */
export type AttrValue = number | string | readonly number[] | FloatAttr | { readonly floats: readonly number[] };

/** `float(1)` writes 1.0 as a FLOAT attribute. */
export const float = (x: number): FloatAttr => ({ float: x });
/** `floats([1, 2])` writes a FLOATS attribute. */
export const floats = (x: readonly number[]): { readonly floats: readonly number[] } => ({ floats: x });

type WeightData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

function elemOfArray(a: WeightData): number {
  if (a instanceof Float32Array) return OnnxDataType.FLOAT;
  if (a instanceof Float64Array) return OnnxDataType.DOUBLE;
  if (a instanceof Int32Array) return OnnxDataType.INT32;
  if (a instanceof BigInt64Array) return OnnxDataType.INT64;
  if (a instanceof Int8Array) return OnnxDataType.INT8;
  return OnnxDataType.UINT8;
}

function toAttribute(name: string, v: AttrValue): AttributeObject {
  if (typeof v === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: OnnxAttributeType.INT, i: v } : { name, type: OnnxAttributeType.FLOAT, f: v };
  }
  if ('float' in v) return { name, type: OnnxAttributeType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: OnnxAttributeType.FLOATS, floats: [...v.floats] };
  return { name, type: OnnxAttributeType.INTS, ints: [...(v as readonly number[])] };
}

/**
 * Builds an ONNX model graph step by step and serializes it.
 *
 * @example
 * const g = new OnnxGraphBuilder('double');
 * g.input('x', 'float32', ['batch', 4]);
 * g.initializer('two', new Float32Array([2]), []);
 * g.node('Mul', ['x', 'two'], ['y']);
 * g.output('y', 'float32', ['batch', 4]);
 * writeFileSync('double.onnx', g.toBytes());
 */
export class OnnxGraphBuilder {
  private readonly nodes: NodeProtoObject[] = [];
  private readonly inits: TensorProtoObject[] = [];
  private readonly inputs: ValueInfoObject[] = [];
  private readonly outputs: ValueInfoObject[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name with the given prefix. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`; while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private valueInfo(name: string, elem: OnnxElemName, shape: readonly (number | string)[]): ValueInfoObject {
    this.names.add(name);
    return {
      name,
      type: { tensorType: { elemType: ELEM[elem], shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    };
  }

  /** A graph input; string dimensions are symbolic (e.g. 'batch'). */
  input(name: string, elem: OnnxElemName, shape: readonly (number | string)[]): string {
    this.inputs.push(this.valueInfo(name, elem, shape));
    return name;
  }

  /** A graph output. */
  output(name: string, elem: OnnxElemName, shape: readonly (number | string)[]): string {
    this.outputs.push(this.valueInfo(name, elem, shape));
    return name;
  }

  /** A constant tensor (weights), stored as little-endian raw data. */
  initializer(name: string, data: WeightData, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `initializer '${name}' has ${data.length} values for dims [${dims.join(',')}] (${size})`, {
        fix: 'pass as many values as the product of dims',
      });
    }
    this.names.add(name);
    this.inits.push({ name, dims: [...dims], dataType: elemOfArray(data), rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** An int64 constant (shapes, axes). */
  ints(prefix: string, values: readonly number[]): string {
    return this.initializer(this.fresh(prefix), BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** A float32 scalar constant. */
  scalar(prefix: string, value: number): string {
    return this.initializer(this.fresh(prefix), new Float32Array([value]), []);
  }

  /** A node; returns its first output name. Outputs default to one fresh name. */
  node(opType: string, inputs: readonly string[], outputs?: readonly string[] | number, attrs: Record<string, AttrValue> = {}): string {
    const outs = Array.isArray(outputs)
      ? [...(outputs as readonly string[])]
      : Array.from({ length: typeof outputs === 'number' ? outputs : 1 }, () => this.fresh(opType.toLowerCase()));
    for (const o of outs) this.names.add(o);
    const attribute = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    this.nodes.push({ opType, input: [...inputs], output: outs, name: this.fresh(`n_${opType}`), ...(attribute.length ? { attribute } : {}) });
    return outs[0]!;
  }

  /** The model as ONNX protobuf bytes (default opset 17, IR version 8). */
  toBytes(opts: { opset?: number; irVersion?: number } = {}): Uint8Array {
    return encodeModel({
      irVersion: opts.irVersion ?? 8,
      producerName: 'modaflow',
      opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
  }
}

/** A seeded uniform [0, 1) generator (mulberry32): weights are reproducible from a seed. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [-scale, scale) from a seeded generator. */
export function seededWeights(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}
