// Type tests for embedText: token-id column forms accepted, float columns and missing masks rejected.
import { dt, fromRows } from '@modaflow/core';
import type { Dataset, FixedShapeTensor, Float32 } from '@modaflow/core';
import { embedText } from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type SchemaOf<D> = D extends Dataset<infer S> ? S : never;

const lists = fromRows([], { input_ids: dt.list(dt.int32()), attention_mask: dt.list(dt.int32()) });
const padded = fromRows([], { ids: dt.tensor(dt.int64(), [128]), mask: dt.tensor(dt.int64(), [128]) });

const a = lists.map(embedText({ model: 'm.onnx', inputIds: 'input_ids', attentionMask: 'attention_mask', output: 'emb' }));
export type T1 = Expect<Equal<SchemaOf<typeof a>['emb'], FixedShapeTensor<Float32, readonly [number]>>>;
const T = dt.tensor(dt.int64(), [128]);
export const b = () => padded.map(embedText({ model: 'm.onnx', inputIds: 'ids', attentionMask: 'mask', output: 'emb', idsDtype: T }));
// @ts-expect-error padded int64 ids need idsDtype (the default is list<int32>)
export const bad1 = () => padded.map(embedText({ model: 'm.onnx', inputIds: 'ids', output: 'emb' }));
// @ts-expect-error the mask column does not exist
export const bad2 = () => lists.map(embedText({ model: 'm.onnx', inputIds: 'input_ids', attentionMask: 'mask', output: 'emb' }));
