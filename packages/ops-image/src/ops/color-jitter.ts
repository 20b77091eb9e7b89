// image.color-jitter: torchvision ColorJitter — brightness, contrast, saturation and hue factors and
// their order drawn per row from the (seed, op, row) generator, applied with Pillow's arithmetic.
import { defineOp, InvalidArgumentError } from '@modaflow/core';
import { imageInputs, imageKernel, imageOutputs, type ImageCall, type ImageParams } from '../util/image-op.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from '../util/color.ts';
import type { Img } from '../util/image.ts';

type Range = number | readonly [number, number];

export type ColorJitterParams = ImageParams & {
  /** b: factor in [max(0, 1 - b), 1 + b]; or [min, max]. */
  readonly brightness?: Range;
  readonly contrast?: Range;
  readonly saturation?: Range;
  /** h ≤ 0.5: shift in [-h, h] turns; or [min, max] within [-0.5, 0.5]. */
  readonly hue?: Range;
  readonly seed?: number;
};

function range(v: Range | undefined, hue: boolean): [number, number] | null {
  if (v === undefined) return null;
  const r: [number, number] = typeof v === 'number' ? (hue ? [-v, v] : [Math.max(0, 1 - v), 1 + v]) : [v[0], v[1]];
  if (typeof v === 'number' && v === 0) return null;
  if (!hue && r[0] === 1 && r[1] === 1) return null;
  return r;
}

const ADJUST = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue] as const;

export const colorJitterDef = defineOp<ColorJitterParams>({
  name: 'image.color-jitter',
  module: import.meta.url,
  inputs: imageInputs,
  outputs: imageOutputs,
  properties: { costPerRow: 800 },
  validate(p) {
    const bad = (msg: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'image.color-jitter', fix: 'brightness/contrast/saturation: a non-negative number or [min, max] with 0 <= min <= max; hue: a number in [0, 0.5] or [min, max] within [-0.5, 0.5]' }); };
    for (const k of ['brightness', 'contrast', 'saturation', 'hue'] as const) {
      const v = p[k];
      if (v === undefined) continue;
      const r = typeof v === 'number' ? (v >= 0 ? range(v, k === 'hue') ?? [1, 1] : null) : v;
      if (!r || !(r[0] <= r[1]) || (k === 'hue' ? r[0] < -0.5 || r[1] > 0.5 : r[0] < 0)) bad(`${k} ${JSON.stringify(v)} is out of range`);
    }
  },
  kernel: imageKernel<ColorJitterParams>((img, p, ctx, i) => {
    const rng = ctx.random(i);
    // torchvision draws the order first (randperm(4)), then each factor.
    const order = [0, 1, 2, 3];
    for (let k = 3; k > 0; k--) { const j = rng.int(0, k); [order[k], order[j]] = [order[j]!, order[k]!]; }
    const ranges = [range(p.brightness, false), range(p.contrast, false), range(p.saturation, false), range(p.hue, true)];
    const factors = ranges.map((r) => (r ? rng.uniform(r[0], r[1]) : null));
    let out: Img = img;
    for (const k of order) { const fct = factors[k]; if (fct !== null && fct !== undefined) out = ADJUST[k]!(out, fct); }
    return out;
  }),
});

/** Random colour jitter (torchvision `ColorJitter`), seeded per row. */
export function colorJitter<C extends string, O extends string = C>(p: ColorJitterParams & { column: C; output?: O }): ImageCall<C, O> {
  return colorJitterDef.call(p);
}
