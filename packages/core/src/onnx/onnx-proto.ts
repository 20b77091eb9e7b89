// The subset of onnx.proto that modaflow reads and writes, as a protobufjs schema built in code
// (field numbers are those of the official onnx/onnx.proto, IR version 9). Two readers share it:
// the full one builds models; the signature one decodes only what a plan-time check needs
// (opsets, graph inputs/outputs, initializer names) and skips weight bytes without copying them.
import protobuf from 'protobufjs';

/** ONNX TensorProto.DataType values used by modaflow. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** ONNX AttributeProto.AttributeType values. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

const tensorFields = {
  dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
  dataType: { type: 'int32', id: 2 },
  floatData: { rule: 'repeated', type: 'float', id: 4 },
  int32Data: { rule: 'repeated', type: 'int32', id: 5 },
  int64Data: { rule: 'repeated', type: 'int64', id: 7 },
  name: { type: 'string', id: 8 },
  rawData: { type: 'bytes', id: 9 },
  doubleData: { rule: 'repeated', type: 'double', id: 10 },
  docString: { type: 'string', id: 12 },
};

const typeFields = {
  TypeProto: {
    fields: { tensorType: { type: 'TypeProtoTensor', id: 1 }, denotation: { type: 'string', id: 6 } },
  },
  TypeProtoTensor: {
    fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
  },
  TensorShapeProto: {
    fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
  },
  Dimension: {
    oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
    fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } },
  },
  ValueInfoProto: {
    fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } },
  },
  OperatorSetIdProto: {
    fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
  },
};

const fullSchema = {
  nested: {
    onnx: {
      nested: {
        ...typeFields,
        TensorProto: { fields: tensorFields },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7, options: { packed: false } },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
      },
    },
  },
};

// Same field numbers, fewer fields: nodes (1) and weight payloads (4, 5, 7, 9, 10) are not declared,
// so the decoder skips them by length instead of materializing them.
const signatureSchema = {
  nested: {
    onnxsig: {
      nested: {
        ...typeFields,
        TensorProto: { fields: { dims: tensorFields.dims, dataType: tensorFields.dataType, name: tensorFields.name } },
        GraphProto: {
          fields: {
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
      },
    },
  },
};

let full: protobuf.Root | undefined;
let sig: protobuf.Root | undefined;

/** The protobufjs types of the full schema (ModelProto, GraphProto, NodeProto, TensorProto, …). */
export function onnxTypes(): { model: protobuf.Type; tensor: protobuf.Type; graph: protobuf.Type } {
  full ??= protobuf.Root.fromJSON(fullSchema);
  return {
    model: full.lookupType('onnx.ModelProto'),
    tensor: full.lookupType('onnx.TensorProto'),
    graph: full.lookupType('onnx.GraphProto'),
  };
}

/** Plain-object form of a ModelProto as the builder produces it (camelCase field names). */
export interface ModelProtoObject {
  irVersion: number;
  producerName?: string;
  producerVersion?: string;
  opsetImport: { domain?: string; version: number }[];
  graph: GraphProtoObject;
}

export interface GraphProtoObject {
  name: string;
  node: NodeProtoObject[];
  initializer: TensorProtoObject[];
  input: ValueInfoObject[];
  output: ValueInfoObject[];
}

export interface NodeProtoObject {
  opType: string;
  input: string[];
  output: string[];
  name?: string;
  domain?: string;
  attribute?: AttributeObject[];
}

export interface AttributeObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
}

export interface TensorProtoObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
}

export interface ValueInfoObject {
  name: string;
  type: { tensorType: { elemType: number; shape?: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}

/** Serialize a model to ONNX protobuf bytes. */
export function encodeModel(model: ModelProtoObject): Uint8Array {
  const { model: T } = onnxTypes();
  return T.encode(T.fromObject(model)).finish();
}

/** Decode a whole model (weights included) into plain objects; for tests and tools, not hot paths. */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const { model: T } = onnxTypes();
  return T.toObject(T.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false, arrays: true }) as Record<string, unknown>;
}

/** The signature-only view of a model file: graph inputs, outputs and initializer names. */
export interface RawSignature {
  irVersion?: number;
  producerName?: string;
  opsetImport?: { domain?: string; version?: number }[];
  graph?: {
    name?: string;
    initializer?: { name?: string }[];
    input?: RawValueInfo[];
    output?: RawValueInfo[];
  };
}

export interface RawValueInfo {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}

/** Decode only the signature-relevant fields of a model's bytes. Throws on malformed protobuf. */
export function decodeSignature(bytes: Uint8Array): RawSignature {
  sig ??= protobuf.Root.fromJSON(signatureSchema);
  const T = sig.lookupType('onnxsig.ModelProto');
  return T.toObject(T.decode(bytes), { longs: Number, arrays: true, oneofs: false }) as RawSignature;
}
