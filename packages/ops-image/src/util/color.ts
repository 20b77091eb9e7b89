// torchvision's ColorJitter adjustments on PIL images, in Pillow's arithmetic: ImageEnhance
// (blend against a degenerate image) for brightness, contrast and saturation, and Pillow's own
// RGB ↔ HSV conversion (float32 intermediates, as in libImaging/Convert.c) for hue.
import type { Img } from './image.ts';
import { blendInto, lumaOf } from './transforms.ts';

const f = Math.fround;

export function adjustBrightness(img: Img, factor: number): Img {
  const out = new Uint8Array(img.data.length);
  blendInto(out, 0, img.data, factor);
  keepAlpha(img, out);
  return { ...img, data: out };
}

export function adjustContrast(img: Img, factor: number): Img {
  const { data, channels: C } = img;
  const n = img.width * img.height;
  let sum = 0;
  for (let p = 0; p < n; p++) sum += C >= 3 ? lumaOf(data[p * C]!, data[p * C + 1]!, data[p * C + 2]!) : data[p * C]!;
  const mean = Math.trunc((n ? sum / n : 0) + 0.5);
  const out = new Uint8Array(data.length);
  blendInto(out, mean, data, factor);
  keepAlpha(img, out);
  return { ...img, data: out };
}

export function adjustSaturation(img: Img, factor: number): Img {
  const { data, channels: C } = img;
  if (C < 3) return { ...img, data: data.slice() };
  const degenerate = new Uint8Array(data.length);
  for (let p = 0; p < img.width * img.height; p++) {
    const s = p * C;
    const l = lumaOf(data[s]!, data[s + 1]!, data[s + 2]!);
    degenerate[s] = degenerate[s + 1] = degenerate[s + 2] = l;
    if (C === 4) degenerate[s + 3] = data[s + 3]!;
  }
  const out = new Uint8Array(data.length);
  blendInto(out, degenerate, data, factor);
  return { ...img, data: out };
}

/** Shift the hue by `hueFactor` turns (in [-0.5, 0.5]); gray images are returned unchanged. */
export function adjustHue(img: Img, hueFactor: number): Img {
  const { data, channels: C } = img;
  if (C < 3) return { ...img, data: data.slice() };
  // np.uint8(hue_factor * 255): truncate toward zero, wrap modulo 256.
  const shift = ((Math.trunc(hueFactor * 255) % 256) + 256) % 256;
  const out = new Uint8Array(data.length);
  const clip8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : v);
  for (let p = 0; p < img.width * img.height; p++) {
    const s = p * C;
    const r = data[s]!, g = data[s + 1]!, b = data[s + 2]!;
    const maxc = Math.max(r, g, b), minc = Math.min(r, g, b);
    let uh = 0, us = 0;
    const uv = maxc;
    if (minc !== maxc) {
      const cr = f(maxc - minc);
      const sat = f(cr / maxc);
      const rc = f((maxc - r) / cr), gc = f((maxc - g) / cr), bc = f((maxc - b) / cr);
      let h: number;
      if (r === maxc) h = f(bc - gc);
      else if (g === maxc) h = f(2.0 + rc - bc);
      else h = f(4.0 + gc - rc);
      h = f(((h / 6.0 + 1.0) % 1.0));
      uh = clip8(Math.trunc(h * 255.0));
      us = clip8(Math.trunc(sat * 255.0));
    }
    const hh = (uh + shift) & 255;
    if (us === 0) { out[s] = out[s + 1] = out[s + 2] = uv; }
    else {
      const i = Math.floor(hh * 6.0 / 255.0);
      const fr = f(hh * 6.0 / 255.0 - i);
      const fs = f(us / 255.0);
      const pp = clip8(Math.round(uv * (1.0 - fs)));
      const q = clip8(Math.round(uv * (1.0 - fs * fr)));
      const t = clip8(Math.round(uv * (1.0 - fs * (1.0 - fr))));
      let R: number, G: number, B: number;
      switch (i % 6) {
        case 0: R = uv; G = t; B = pp; break;
        case 1: R = q; G = uv; B = pp; break;
        case 2: R = pp; G = uv; B = t; break;
        case 3: R = pp; G = q; B = uv; break;
        case 4: R = t; G = pp; B = uv; break;
        default: R = uv; G = pp; B = q; break;
      }
      out[s] = R; out[s + 1] = G; out[s + 2] = B;
    }
    if (C === 4) out[s + 3] = data[s + 3]!;
  }
  return { ...img, data: out };
}

/** ImageEnhance keeps the alpha band of RGBA / LA images. */
function keepAlpha(img: Img, out: Uint8Array): void {
  const C = img.channels;
  if (C !== 2 && C !== 4) return;
  for (let s = C - 1; s < out.length; s += C) out[s] = img.data[s]!;
}
