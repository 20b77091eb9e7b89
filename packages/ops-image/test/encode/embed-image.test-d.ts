// Type tests for embedImage: the output column's dtype, and misuse rejected by tsc (checked by the
// root tsc --noEmit; an unused @ts-expect-error is itself an error).
import { dt, fromRows } from '@modaflow/core';
import type { Dataset, FixedShapeTensor, Float32, Int32 } from '@modaflow/core';
import { embedImage } from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type SchemaOf<D> = D extends Dataset<infer S> ? S : never;

const fixed = fromRows([], { id: dt.int32(), pixels: dt.tensor(dt.float32(), [3, 224, 224]) });
const var3 = fromRows([], { pixels: dt.varTensor(dt.float32(), 3) });
const u8 = fromRows([], { pixels: dt.tensor(dt.uint8(), [224, 224, 3]) });

const e = fixed.map(embedImage({ model: 'm.onnx', column: 'pixels', output: 'emb' }));
export type T1 = Expect<Equal<SchemaOf<typeof e>['emb'], FixedShapeTensor<Float32, readonly [number]>>>;
export type T2 = Expect<Equal<SchemaOf<typeof e>['id'], Int32>>;
export const v = () => var3.map(embedImage({ model: 'm.onnx', column: 'pixels', output: 'emb' }));
// @ts-expect-error a uint8 HWC image must go through toTensor first
export const bad1 = () => u8.map(embedImage({ model: 'm.onnx', column: 'pixels', output: 'emb' }));
// @ts-expect-error no such column
export const bad2 = () => fixed.map(embedImage({ model: 'm.onnx', column: 'image', output: 'emb' }));
