// The image benchmark corpus: ≥200 JPEGs of about 500×375 at quality 90, cut from the sample
// photos (different crops and mirrorings), written once to a cache directory under the OS tmpdir.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const SAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'data', 'dataset', 'images');

/** Paths of `n` benchmark JPEGs (made on first use). */
export async function imageCorpus(n = 200): Promise<string[]> {
  const dir = join(tmpdir(), `modaflow-bench-jpeg-${n}`);
  const paths = Array.from({ length: n }, (_, i) => join(dir, `img_${String(i).padStart(4, '0')}.jpg`));
  if (paths.every((p) => existsSync(p))) return paths;
  mkdirSync(dir, { recursive: true });
  const samples = readdirSync(SAMPLES).sort().map((f) => join(SAMPLES, f));
  for (let i = 0; i < n; i++) {
    const src = sharp(samples[i % samples.length]!);
    const m = await src.metadata();
    // Portrait for every fifth image, so shorter-side resizing sees both orientations.
    const [w, h] = i % 5 === 4 ? [375, 500] : [500, 375];
    const scale = Math.max(w / m.width, h / m.height) * (1 + (i % 7) * 0.08);
    const sw = Math.ceil(m.width * scale), sh = Math.ceil(m.height * scale);
    const left = (i * 37) % (sw - w + 1), top = (i * 53) % (sh - h + 1);
    let p = sharp(samples[i % samples.length]!).removeAlpha().toColourspace('srgb').resize(sw, sh).extract({ left, top, width: w, height: h });
    if (i % 2) p = p.flop();
    writeFileSync(paths[i]!, await p.jpeg({ quality: 90 }).toBuffer());
  }
  return paths;
}
