// The WebAssembly SIMD kernels (src/wasm/pixels.c) against the JS paths: Pillow's resampler passes
// (and resampling a window against cropping the full result) and the uint8 → float32 tensor
// conversion; all must be bit-identical (the torchvision goldens in parity.test.ts run on whichever
// engine loads, WASM by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resamplePil, setResampleEngine, wasmKernels, type Kernel } from '../src/util/resample.ts';
import type { Img } from '../src/util/image.ts';
import { TensorBuilder, setTensorEngine, type TensorSpec } from '../src/util/tensor.ts';

const arbImage = fc.record({ w: fc.integer({ min: 1, max: 90 }), h: fc.integer({ min: 1, max: 90 }), c: fc.constantFrom(1, 3, 4), seed: fc.nat() })
  .map(({ w, h, c, seed }): Img => {
    // Noise with saturated runs: sums near both clipping edges.
    const data = new Uint8Array(w * h * c);
    let s = seed >>> 0;
    for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = (s >>> 24) < 40 ? ((s >>> 16) & 1) * 255 : (s >>> 16) & 255; }
    return { data, width: w, height: h, channels: c };
  });

const crop = (img: Img, left: number, top: number, width: number, height: number): Uint8Array => {
  const C = img.channels, out = new Uint8Array(width * height * C);
  for (let y = 0; y < height; y++) out.set(img.data.subarray(((top + y) * img.width + left) * C, ((top + y) * img.width + left + width) * C), y * width * C);
  return out;
};

test('the WASM SIMD module loads (Node 20 has WebAssembly SIMD)', () => {
  assert.ok(wasmKernels(), 'src/wasm/pixels.wasm did not load');
});

test('WASM resampler = JS resampler, and a window = the crop of the full result (all kernels, 1/3/4 channels, with and without a source box)', async () => {
  try {
    await fc.assert(fc.property(
      arbImage, fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 120 }),
      fc.constantFrom<Kernel>('bilinear', 'bicubic', 'lanczos3', 'box', 'nearest'), fc.boolean(),
      fc.record({ l: fc.double({ min: 0, max: 0.99, noNaN: true }), t: fc.double({ min: 0, max: 0.99, noNaN: true }), w: fc.double({ min: 0, max: 1, noNaN: true }), h: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.option(fc.record({ x0: fc.double({ min: 0, max: 0.5, noNaN: true }), y0: fc.double({ min: 0, max: 0.5, noNaN: true }), x1: fc.double({ min: 0.5, max: 1, noNaN: true }), y1: fc.double({ min: 0.5, max: 1, noNaN: true }) })),
      (img, outW, outH, kernel, antialias, f, b) => {
        const left = Math.floor(f.l * outW), top = Math.floor(f.t * outH);
        const win = { left, top, width: Math.max(1, Math.floor(f.w * (outW - left))), height: Math.max(1, Math.floor(f.h * (outH - top))) };
        // A source box (Pillow's resize(box=...), used by resized_crop), with fractional edges.
        const box = b ? [b.x0 * img.width, b.y0 * img.height, b.x1 * img.width, b.y1 * img.height] as const : undefined;
        setResampleEngine('js');
        const full = resamplePil(img, outW, outH, kernel, antialias, box);
        const jsWin = resamplePil(img, outW, outH, kernel, antialias, box, win);
        setResampleEngine('auto');
        const wasmFull = resamplePil(img, outW, outH, kernel, antialias, box);
        const wasmWin = resamplePil(img, outW, outH, kernel, antialias, box, win);
        assert.deepEqual(wasmFull.data, full.data);
        const want = crop(full, win.left, win.top, win.width, win.height);
        assert.deepEqual([wasmWin.width, wasmWin.height], [win.width, win.height]);
        assert.deepEqual(jsWin.data, want);
        assert.deepEqual(wasmWin.data, want);
      },
    ), { numRuns: 300 });
  } finally {
    setResampleEngine('auto');
  }
});

test('a window outside the resized image is refused', () => {
  const img: Img = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };
  assert.throws(() => resamplePil(img, 4, 4, 'bilinear', true, undefined, { left: 2, top: 0, width: 3, height: 1 }), /not inside/);
});

test('WASM uint8 → float32 conversion = the JS table (layouts, scale, mean/std per channel or one for all), bit for bit', async () => {
  const arbSpec = fc.record({
    layout: fc.constantFrom<'CHW' | 'HWC'>('CHW', 'HWC'), scale: fc.boolean(), norm: fc.constantFrom('none', 'one', 'each'),
    m: fc.array(fc.double({ min: -300, max: 300, noNaN: true }), { minLength: 4, maxLength: 4 }),
    s: fc.array(fc.double({ min: 0.001, max: 300, noNaN: true }), { minLength: 4, maxLength: 4 }),
  });
  try {
    await fc.assert(fc.property(arbImage, arbSpec, (img, f) => {
      const C = img.channels;
      const spec: TensorSpec = {
        layout: f.layout, scale: f.scale,
        ...(f.norm === 'none' ? {} : f.norm === 'one' ? { mean: [f.m[0]!], std: [f.s[0]!] } : { mean: f.m.slice(0, C), std: f.s.slice(0, C) }),
      };
      const run = (e: 'auto' | 'js'): Float32Array => {
        setTensorEngine(e);
        const b = new TensorBuilder(spec, 1, 'image', 'test');
        b.put(img, 0);
        return ((b as unknown as { rows: { data: Float32Array }[] }).rows[0]!).data;
      };
      const js = run('js'), wasm = run('auto');
      assert.deepEqual(new Uint32Array(wasm.buffer, wasm.byteOffset, wasm.length), new Uint32Array(js.buffer, js.byteOffset, js.length));
    }), { numRuns: 300 });
  } finally {
    setTensorEngine('auto');
  }
});
