// The WebAssembly SIMD pixel kernels (src/wasm/pixels.c): Pillow's resampler passes and the
// uint8 → float32 tensor conversion. One instance per thread, loaded on first use from the .wasm
// next to the sources (or dist/wasm/ once built); null when WebAssembly SIMD is not available, and
// then the callers run their JS paths (same results, tested against each other).
//
// Memory: buffers are laid out from __heap_base at every call; the memory only grows, so a worker
// thread reuses the same pages image after image (no fresh pages to fault in).
import { readFileSync } from 'node:fs';
import type { Img } from './image.ts';
import type { Coeffs, Window } from './resample.ts';

// The package's lib (ES2023, no DOM) has no WebAssembly types: the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
type Fn = (...a: number[]) => void;

export interface PixelKernels {
  /** Pillow's two passes over a window (see resamplePil); the coefficients are already sliced to it. */
  resample(src: Img, needH: boolean, needV: boolean, horiz: Coeffs, vert: Coeffs, yFirst: number, yLast: number, w: Window): Img;
  /**
   * uint8 HWC → float32 into `out` (CHW or HWC): v / 255 when `scale`, then (x - mean) / std with
   * float32 roundings when mean/std are given (one per channel, already expanded).
   */
  toFloat(src: Uint8Array, n: number, C: number, chw: boolean, scale: boolean, mean: readonly number[] | null, std: readonly number[] | null, out: Float32Array): void;
}

let loaded: PixelKernels | null | undefined;

/** This thread's kernels, or null when WebAssembly SIMD is unavailable. */
export function pixelKernels(): PixelKernels | null {
  if (loaded !== undefined) return loaded;
  try {
    const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const inst = new WA.Instance(new WA.Module(readFileSync(new URL('../wasm/pixels.wasm', import.meta.url))), {});
    const ex = inst.exports as { memory: WasmMemory; __heap_base: { readonly value: number }; hpass: Fn; vpass: Fn; to_float: Fn };
    loaded = kernels(ex.memory, ex.__heap_base.value, ex);
  } catch {
    loaded = null;
  }
  return loaded;
}

function kernels(mem: WasmMemory, heapBase: number, ex: { hpass: Fn; vpass: Fn; to_float: Fn }): PixelKernels {
  const align = (n: number): number => (n + 15) & ~15;
  const reserve = (bytes: number): void => {
    const need = heapBase + bytes - mem.buffer.byteLength;
    if (need > 0) mem.grow(Math.ceil(need / 65536));
  };
  const putI32 = (at: number, a: Int32Array): void => { new Int32Array(mem.buffer, at, a.length).set(a); };
  return {
    resample(src, needH, needV, horiz, vert, yFirst, yLast, w) {
      const { width: W, channels: C, data } = src;
      const r0 = needV ? yFirst : w.top, rows = (needV ? yLast : w.top + w.height) - r0;
      const stride = w.width * C;
      const srcBytes = needH ? align(data.length + 16) : 0;
      const tmpBytes = align(rows * stride + 16), outBytes = align(w.height * stride + 16);
      const hb = align(horiz.bounds.byteLength), hk = align(horiz.kk.byteLength), vb = align(vert.bounds.byteLength), vk = align(vert.kk.byteLength);
      reserve(srcBytes + tmpBytes + outBytes + hb + hk + vb + vk);
      const pSrc = heapBase, pTmp = pSrc + srcBytes, pOut = pTmp + tmpBytes, pHb = pOut + outBytes, pHk = pHb + hb, pVb = pHk + hk, pVk = pVb + vb;
      const heap = new Uint8Array(mem.buffer);
      if (needH) {
        heap.set(data, pSrc);
        putI32(pHb, horiz.bounds); putI32(pHk, horiz.kk);
        ex.hpass(pSrc, W, C, r0, rows, w.width, pHb, pHk, horiz.ksize, pTmp);
      } else {
        for (let y = 0; y < rows; y++) {
          const s = ((r0 + y) * W + w.left) * C;
          heap.set(data.subarray(s, s + stride), pTmp + y * stride);
        }
      }
      if (!needV) return { data: heap.slice(pTmp, pTmp + w.height * stride), width: w.width, height: w.height, channels: C };
      putI32(pVb, vert.bounds); putI32(pVk, vert.kk);
      ex.vpass(pTmp, stride, r0, w.height, pVb, pVk, vert.ksize, pOut);
      return { data: heap.slice(pOut, pOut + w.height * stride), width: w.width, height: w.height, channels: C };
    },
    toFloat(src, n, C, chw, scale, mean, std, out) {
      const srcBytes = align(n * C + 16), msBytes = align(8 * C), outBytes = align(4 * n * C);
      reserve(srcBytes + msBytes + outBytes);
      const pSrc = heapBase, pMs = pSrc + srcBytes, pOut = pMs + msBytes;
      new Uint8Array(mem.buffer, pSrc, n * C).set(src.subarray(0, n * C));
      const ms = new Float32Array(mem.buffer, pMs, 2 * C);
      for (let c = 0; c < C; c++) { ms[c] = mean ? mean[c]! : 0; ms[C + c] = std ? std[c]! : 1; }
      ex.to_float(pSrc, n, C, chw ? 1 : 0, scale ? 1 : 0, mean ? 1 : 0, pMs, pOut);
      out.set(new Float32Array(mem.buffer, pOut, n * C));
    },
  };
}
