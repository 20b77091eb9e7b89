// Type tests: the output schemas of the fusion builders, and misuse rejected by tsc.
import { dt, fromRows } from '@modaflow/core';
import type { Bool, FixedShapeTensor, Float32, Float64, Int32, Timestamp, Utf8 } from '@modaflow/core';
import { alignAsof, earlyFuse, interpolate, lateFuse, maskMissing, windowAgg, zscoreFilter, convertTimeUnit } from '../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const ok = <T extends true>(_?: T) => undefined;

const TS = dt.timestamp('ns');
const V4 = dt.tensor(dt.float32(), [4]);
const cam = fromRows([], { t: TS, frame: dt.utf8() });
const imu = fromRows([], { t: TS, ax: dt.float64(), dev: dt.utf8(), emb: V4 });

const a = alignAsof(cam, imu, { on: 't', direction: 'nearest', tolerance: '5ms', rightKeyAs: 't_imu' });
ok<Equal<typeof a.schema, { readonly t: Timestamp<'ns'>; readonly frame: Utf8; readonly ax: Float64; readonly dev: Utf8; readonly emb: typeof V4; readonly t_imu: Timestamp<'ns'> } | null>>();
// @ts-expect-error — the key must exist on both sides
alignAsof(cam, imu, { on: 'ax' });

const i = interpolate(cam, imu, { on: 't', columns: ['ax', 'emb'] });
ok<Equal<NonNullable<typeof i.schema>['ax'], Float64>>();
ok<Equal<NonNullable<typeof i.schema>['emb'], typeof V4>>();
// @ts-expect-error — only source columns can be interpolated
interpolate(cam, imu, { on: 't', columns: ['frame'] });

const w = windowAgg(imu, { on: 't', window: '50ms', columns: ['ax'], aggs: ['mean', 'count'] });
ok<Equal<NonNullable<typeof w.schema>['ax_mean'], Float64>>();
ok<Equal<NonNullable<typeof w.schema>['ax_count'], Int32>>();

const f = imu.map(earlyFuse({ parts: [{ column: 'ax', dtype: dt.float64() }, { column: 'emb', dtype: V4, normalize: 'l2' }], output: 'x' }));
ok<Equal<NonNullable<typeof f.schema>['x'], FixedShapeTensor<Float32, [number]>>>();
// @ts-expect-error — a part declared with the wrong dtype
imu.map(earlyFuse({ parts: [{ column: 'emb', dtype: dt.float64() }], output: 'x' }));

const l = imu.map(lateFuse({ columns: ['emb'], dtype: V4, method: 'vote', output: 'cls' }));
ok<Equal<NonNullable<typeof l.schema>['cls'], Int32>>();
const lm = imu.map(lateFuse({ columns: ['ax'], method: 'mean', output: 'p' }));
ok<Equal<NonNullable<typeof lm.schema>['p'], Float64>>();

const m = imu.map(maskMissing({ columns: { emb: V4 } }));
ok<Equal<NonNullable<typeof m.schema>['emb_present'], Bool>>();

imu.map(zscoreFilter({ column: 'ax', by: 'dev' }));
// @ts-expect-error — ax is float64, not a float32 column
imu.map(zscoreFilter({ column: 'ax', dtype: dt.float32() }));

const c = cam.map(convertTimeUnit({ column: 't', from: 'ns', to: 'ms' }));
ok<Equal<NonNullable<typeof c.schema>['t'], Timestamp<'ms'>>>();
// @ts-expect-error — the column is ns, not us
cam.map(convertTimeUnit({ column: 't', from: 'us', to: 'ms' }));
