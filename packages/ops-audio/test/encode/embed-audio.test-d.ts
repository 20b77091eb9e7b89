// Type tests for embedAudio: waveform column forms accepted, integer samples rejected.
import { dt, fromRows } from '@modaflow/core';
import type { Dataset, FixedShapeTensor, Float32 } from '@modaflow/core';
import { embedAudio } from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type SchemaOf<D> = D extends Dataset<infer S> ? S : never;

const wave = fromRows([], { wave: dt.varTensor(dt.float32(), 1) });
const fixed = fromRows([], { wave: dt.tensor(dt.float32(), [16000]) });
const pcm = fromRows([], { wave: dt.varTensor(dt.int16(), 1) });

const a = wave.map(embedAudio({ model: 'm.onnx', column: 'wave', output: 'emb' }));
export type T1 = Expect<Equal<SchemaOf<typeof a>['emb'], FixedShapeTensor<Float32, readonly [number]>>>;
export const b = () => fixed.map(embedAudio({ model: 'm.onnx', column: 'wave', output: 'emb' }));
// @ts-expect-error int16 PCM must be decoded to float32 samples first
export const bad = () => pcm.map(embedAudio({ model: 'm.onnx', column: 'wave', output: 'emb' }));
