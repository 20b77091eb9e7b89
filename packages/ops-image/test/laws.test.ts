// Laws of the image ops (fast-check): shapes, bounds, involutions, inverses, and seeded
// augmentation that does not depend on batch size or worker count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, type Tensor } from '@modaflow/core';
import {
  IMAGE_U8, centerCrop, colorJitter, crop, flip, normalize, randomFlip, randomResizedCrop, randomRotation, resize, toTensor, rotate,
} from '../src/index.ts';
import { centerCropImage, cropImage, flipImage } from '../src/util/transforms.ts';
import { resizeImage } from '../src/util/resize-image.ts';
import type { Img } from '../src/util/image.ts';
import { col, fromTensorValue, generatedImage, imageRows } from './helpers.ts';

const W0 = { workers: 0 } as const;
const arbImage = fc.record({ w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 40 }), c: fc.constantFrom(1, 3, 4), seed: fc.nat(255) })
  .map(({ w, h, c, seed }) => { const im = generatedImage(w, h, c); for (let i = 0; i < im.data.length; i++) im.data[i] = (im.data[i]! + seed * (i % 7)) & 255; return im; });
const images = async (ds: { compute(o: object): Promise<unknown> }, name = 'image'): Promise<Img[]> =>
  col<Tensor>(await ds.compute(W0) as never, name, IMAGE_U8).map(fromTensorValue);

test('resize yields exactly the requested shape; then centerCrop yields the crop shape', async () => {
  await fc.assert(fc.asyncProperty(
    arbImage, fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 }),
    fc.constantFrom('nearest', 'bilinear', 'bicubic', 'lanczos3'), fc.constantFrom('fill', 'cover', 'contain', 'inside'),
    async (img, th, tw, short, kernel, fit) => {
      const box = await resizeImage(img, { size: [th, tw], fit, kernel });
      if (fit === 'inside') assert.ok(box.height <= th && box.width <= tw && (box.height === th || box.width === tw));
      else assert.deepEqual([box.height, box.width], [th, tw]);
      assert.equal(box.channels, img.channels);
      assert.equal(box.data.length, box.width * box.height * box.channels);
      const s = await resizeImage(img, { size: short, kernel });
      assert.equal(Math.min(s.width, s.height), short);
      // torchvision: the long side is int(short * long / short_in).
      assert.equal(Math.max(s.width, s.height), Math.trunc((short * Math.max(img.width, img.height)) / Math.min(img.width, img.height)));
      const c = centerCropImage(s, th, tw);
      assert.deepEqual([c.height, c.width, c.data.length], [th, tw, th * tw * img.channels]);
    }), { numRuns: 60 });
  // The same through the ops, on a batch of mixed sizes.
  const batch = [generatedImage(37, 20, 3), generatedImage(5, 90, 1), generatedImage(64, 64, 4)];
  const out = await images(imageRows(batch).map(resize({ column: 'image', size: 32, kernel: 'bicubic' })).map(centerCrop({ column: 'image', size: [24, 30] })));
  assert.deepEqual(out.map((o) => [o.height, o.width, o.channels]), [[24, 30, 3], [24, 30, 1], [24, 30, 4]]);
});

test('crop stays in bounds: inside boxes copy pixels, outside boxes are row errors (or padded with fill)', async () => {
  await fc.assert(fc.property(arbImage, fc.nat(50), fc.nat(50), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), (img, top, left, h, w) => {
    const out = cropImage(img, top, left, h, w);
    assert.equal(out.data.length, h * w * img.channels);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < img.channels; c++) {
      const inside = y + top < img.height && x + left < img.width;
      const want = inside ? img.data[((y + top) * img.width + x + left) * img.channels + c] : 0;
      assert.equal(out.data[(y * w + x) * img.channels + c], want);
    }
  }), { numRuns: 60 });
  const t = await imageRows([generatedImage(10, 10, 3), generatedImage(30, 30, 3)])
    .map(crop({ column: 'image', top: 5, left: 5, height: 8, width: 8 })).compute({ ...W0, onError: 'quarantine' });
  assert.equal(t.numRows, 1);
  assert.equal(t.report.quarantined, 1);
  assert.equal(col<string>(t.report.quarantine!, 'code', dt.utf8())[0], 'MF_INVALID_ARGUMENT');
  const padded = await images(imageRows([generatedImage(10, 10, 3)]).map(crop({ column: 'image', top: 5, left: 5, height: 8, width: 8, fill: [9] })));
  assert.equal(padded[0]!.data[(7 * 8 + 7) * 3], 9);
});

test('flips are involutions; horizontal ∘ vertical is a 180° rotation', async () => {
  await fc.assert(fc.property(arbImage, fc.constantFrom('horizontal', 'vertical') as fc.Arbitrary<'horizontal' | 'vertical'>, (img, d) => {
    const once = flipImage(img, d);
    assert.deepEqual(flipImage(once, d).data, img.data);
    if (img.width > 1 && d === 'horizontal') assert.equal(once.data[0], img.data[(img.width - 1) * img.channels]);
  }), { numRuns: 80 });
  const batch = [generatedImage(13, 7, 3), generatedImage(8, 8, 1)];
  const both = await images(imageRows(batch).map(flip({ column: 'image', direction: 'horizontal' })).map(flip({ column: 'image', direction: 'vertical' })));
  const r180 = await images(imageRows(batch).map(rotate({ column: 'image', degrees: 180 })));
  assert.deepEqual(both.map((i) => i.data), r180.map((i) => i.data));
});

test('normalize then its inverse is the identity (within float32 rounding)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ w: fc.integer({ min: 1, max: 12 }), h: fc.integer({ min: 1, max: 12 }) }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
    fc.array(fc.double({ min: 0.05, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
    fc.constantFrom('CHW', 'HWC') as fc.Arbitrary<'CHW' | 'HWC'>,
    async (sizes, mean, std, layout) => {
      const imgs = sizes.map(({ w, h }) => generatedImage(w, h, 3));
      const t = await imageRows(imgs).map(toTensor({ column: 'image', output: 'x', layout }))
        .map(normalize({ column: 'x', output: 'n', mean, std, layout }))
        .map(normalize({ column: 'n', output: 'back', mean, std, layout, inverse: true })).compute(W0);
      const f = dt.varTensor(dt.float32(), 3);
      const x = col<Tensor>(t, 'x', f), n = col<Tensor>(t, 'n', f), back = col<Tensor>(t, 'back', f);
      x.forEach((xi, i) => {
        assert.deepEqual(back[i]!.shape, xi.shape);
        for (let j = 0; j < xi.data.length; j++) assert.ok(Math.abs((back[i]!.data[j] as number) - (xi.data[j] as number)) <= 1e-6 * (1 + Math.abs(n[i]!.data[j] as number) * 3));
      });
    }), { numRuns: 25 });
});

test('seeded augmentation depends on (seed, row) only: not on batch size or worker count', async () => {
  const batch = Array.from({ length: 12 }, (_, i) => generatedImage(40 + i, 30 + ((i * 7) % 11), 3));
  const pipeline = () => imageRows(batch)
    .map(randomFlip({ column: 'image' }))
    .map(randomResizedCrop({ column: 'image', size: 16 }))
    .map(colorJitter({ column: 'image', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }))
    .map(randomRotation({ column: 'image', degrees: 20 }));
  const runWith = async (o: object) => col<Tensor<Uint8Array>>(await pipeline().compute({ seed: 7, ...o }), 'image', IMAGE_U8).map((t) => Array.from(t.data));
  const ref = await runWith({ workers: 0, batchSize: 12 });
  for (const o of [{ workers: 0, batchSize: 1 }, { workers: 0, batchSize: 5 }, { workers: 2, batchSize: 3 }]) {
    assert.deepEqual(await runWith(o), ref, `differs with ${JSON.stringify(o)}`);
  }
  const other = await runWith({ workers: 0, batchSize: 12, seed: 8 });
  assert.notDeepEqual(other, ref, 'another seed must draw differently');
  // Rows are not all augmented alike: the draws differ between rows.
  const flips = await images(imageRows(batch.map(() => batch[0]!)).map(randomFlip({ column: 'image' })));
  const flipped = flips.filter((f) => f.data[0] !== batch[0]!.data[0]).length;
  assert.ok(flipped > 0 && flipped < batch.length, `flipped ${flipped} of ${batch.length}`);
});

test('random resized crop draws torchvision-shaped boxes within the image', async () => {
  const { resizedCropBox } = await import('../src/index.ts');
  const { rowRng } = await import('@modaflow/core');
  await fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.nat(), (h, w, row) => {
    const [top, left, ch, cw] = resizedCropBox(rowRng(1, 2, row), h, w, [0.08, 1], [3 / 4, 4 / 3]);
    assert.ok(top >= 0 && left >= 0 && ch > 0 && cw > 0 && top + ch <= h && left + cw <= w, JSON.stringify({ h, w, top, left, ch, cw }));
  }), { numRuns: 200 });
});
