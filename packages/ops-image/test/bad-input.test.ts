// A corpus of broken and unusual files, generated here: each either decodes correctly or becomes a
// per-row error with a stable code, and the other rows of the batch still come out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { dt, fromRows, type Tensor } from '@modaflow/core';
import { decodeImage, imageMetadata, IMAGE_U8 } from '../src/index.ts';
import { col } from './helpers.ts';

let dir = '';
// A smooth image, so lossy formats stay close to it.
const src = (() => {
  const data = new Uint8Array(64 * 48 * 3);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) for (let k = 0; k < 3; k++) data[(y * 64 + x) * 3 + k] = x * 2 + y + k * 40;
  return { data, width: 64, height: 48, channels: 3 };
})();
const raw = { raw: { width: 64, height: 48, channels: 3 as const } };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (b: Uint8Array): number => { let c = 0xffffffff; for (const x of b) c = CRC_TABLE[(c ^ x) & 255]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8); head.writeUInt32BE(body.length, 0); head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}
/** A valid PNG whose header claims width × height, with a tiny (too short) IDAT. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100))), chunk('IEND', new Uint8Array())]);
}

const files: Record<string, string> = {};
const write = (name: string, bytes: Uint8Array | string): void => { files[name] = join(dir, name); writeFileSync(files[name]!, bytes); };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mf-image-bad-'));
  const jpeg = await sharp(src.data, raw).jpeg({ quality: 95 }).toBuffer();
  write('good.jpg', jpeg);
  write('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  write('empty.jpg', new Uint8Array());
  write('text.jpg', 'this is a text file, not a JPEG\n');
  const png = await sharp(src.data, raw).png().toBuffer();
  const badCrc = Buffer.from(png); badCrc[29] ^= 0xff; // last byte of the IHDR chunk's CRC
  write('badcrc.png', badCrc);
  write('bomb.png', pngClaiming(100000, 100000));
  write('gray.png', await sharp(src.data, raw).extractChannel(0).png().toBuffer());
  write('cmyk.jpg', await sharp(src.data, raw).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer());
  write('alpha.png', await sharp(src.data, raw).ensureAlpha(0.5).png().toBuffer());
  write('deep.png', await sharp(src.data, raw).toColourspace('rgb16').png().toBuffer());
  write('anim.gif', await sharp(src.data, raw).gif().toBuffer());
  write('img.webp', await sharp(src.data, raw).webp({ lossless: true }).toBuffer());
  write('img.tiff', await sharp(src.data, raw).tiff({ compression: 'lzw' }).toBuffer());
  // EXIF orientation 6: stored 64×48, displayed rotated 90° clockwise as 48×64.
  write('rotated.jpg', await sharp(src.data, raw).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer());
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };

test('bad files become per-row errors with codes; the other rows decode', async () => {
  const names = ['good.jpg', 'truncated.jpg', 'empty.jpg', 'text.jpg', 'badcrc.png', 'bomb.png', 'missing.jpg', 'gray.png', 'cmyk.jpg', 'alpha.png', 'deep.png', 'anim.gif', 'img.webp', 'img.tiff', 'rotated.jpg'];
  const paths = names.map((n) => files[n] ?? join(dir, n));
  const t = await fromRows(names.map((name, i) => ({ name, path: paths[i]! })), { name: dt.utf8(), path: dt.utf8() })
    .map(decodeImage({ column: 'path', output: 'image' }))
    .compute({ workers: 0, onError: 'quarantine', batchSize: 32 });
  const q = t.report.quarantine!;
  const codes = Object.fromEntries(col<bigint>(q, 'source_row', dt.int64()).map((r, i) => [names[Number(r)]!, col<string>(q, 'code', dt.utf8())[i]!]));
  assert.deepEqual(codes, {
    'truncated.jpg': 'MF_DECODE', 'empty.jpg': 'MF_DECODE', 'text.jpg': 'MF_DECODE', 'badcrc.png': 'MF_DECODE',
    'bomb.png': 'MF_LIMIT_EXCEEDED', 'missing.jpg': 'MF_FILE_MISSING',
  });
  for (const m of col<string>(q, 'message', dt.utf8())) assert.ok(m.length > 10);
  assert.equal(t.report.quarantined, 6);
  const got = Object.fromEntries(col<string>(t, 'name', dt.utf8()).map((n, i) => [n, col<Tensor<Uint8Array>>(t, 'image', IMAGE_U8)[i]!]));
  assert.deepEqual(Object.keys(got).sort(), ['alpha.png', 'anim.gif', 'cmyk.jpg', 'deep.png', 'good.jpg', 'gray.png', 'img.tiff', 'img.webp', 'rotated.jpg']);
  for (const [n, v] of Object.entries(got)) {
    assert.deepEqual(v.shape, n === 'rotated.jpg' ? [64, 48, 3] : [48, 64, 3], n);
  }
  // Lossless formats give the source pixels back exactly (alpha dropped, 16 bits narrowed).
  for (const n of ['alpha.png', 'deep.png', 'img.webp', 'img.tiff']) assert.equal(maxDiff(got[n]!.data, src.data), 0, `${n} differs from the source`);
  // Gray expands to three equal channels holding the gray values.
  const g = got['gray.png']!.data;
  for (let p = 0; p < 64 * 48; p++) { assert.equal(g[p * 3], src.data[p * 3]); assert.equal(g[p * 3 + 2], src.data[p * 3]); }
  // Lossy: JPEG at q95 and the CMYK round trip stay close to the source on average.
  const mean = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - src.data[i]!); return s / a.length; };
  assert.ok(mean(got['good.jpg']!.data) < 2, `good.jpg mean diff ${mean(got['good.jpg']!.data)}`);
  // CMYK goes sRGB → CMYK → sRGB through libvips' ICC profiles: some gamut loss on the way.
  assert.ok(mean(got['cmyk.jpg']!.data) < 8, `cmyk.jpg mean diff ${mean(got['cmyk.jpg']!.data)}`);
  // GIF is palettized: first frame, close to the source.
  assert.ok(mean(got['anim.gif']!.data) < 8, `anim.gif mean diff ${mean(got['anim.gif']!.data)}`);
});

test("mode 'RGBA' keeps alpha, 'L' uses Pillow's luma, 'keep' keeps the file's channels", async () => {
  const rows = [{ path: files['alpha.png']! }, { path: files['gray.png']! }];
  const ds = fromRows(rows, { path: dt.utf8() });
  const t = await ds.map(decodeImage({ column: 'path', output: 'rgba', mode: 'RGBA' }))
    .map(decodeImage({ column: 'path', output: 'l', mode: 'L' }))
    .map(decodeImage({ column: 'path', output: 'keep', mode: 'keep' }))
    .compute({ workers: 0 });
  const rgba = col<Tensor>(t, 'rgba', IMAGE_U8), l = col<Tensor>(t, 'l', IMAGE_U8), keep = col<Tensor>(t, 'keep', IMAGE_U8);
  assert.deepEqual(rgba[0]!.shape, [48, 64, 4]);
  assert.equal(rgba[0]!.data[3], 127);
  assert.equal(rgba[1]!.data[3], 255);
  assert.deepEqual(l[0]!.shape, [48, 64, 1]);
  const [r, g, b] = [src.data[0]!, src.data[1]!, src.data[2]!];
  assert.equal(l[0]!.data[0], (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16);
  assert.deepEqual(keep[0]!.shape, [48, 64, 4]);
  assert.deepEqual(keep[1]!.shape, [48, 64, 1]);
});

test('metadata reads the header only: a bomb is reported, not decoded; orientation swaps the size', async () => {
  const names = ['good.jpg', 'rotated.jpg', 'bomb.png', 'text.jpg'];
  const t = await fromRows(names.map((n) => ({ path: files[n]! })), { path: dt.utf8() })
    .map(imageMetadata({ column: 'path', maxPixels: 1e11 }))
    .compute({ workers: 0, onError: 'skip' });
  assert.deepEqual(Array.from(t.getChild('image_width')!.toArray() as Int32Array), [64, 48, 100000]);
  assert.deepEqual(Array.from(t.getChild('image_height')!.toArray() as Int32Array), [48, 64, 100000]);
  assert.deepEqual(col<string>(t, 'image_format', dt.utf8()), ['jpeg', 'jpeg', 'png']);
  assert.deepEqual(Array.from(t.getChild('image_orientation')!.toArray() as Int32Array), [1, 6, 1]);
  assert.equal(t.report.skipped, 1);
});

test('decode from a binary column; the fail policy names op, column and code', async () => {
  const ok = readFileSync(files['good.jpg']!);
  const t = await fromRows([{ b: new Uint8Array(ok) }, { b: null }], { b: dt.binary() })
    .map(decodeImage({ column: 'b', from: 'bytes', output: 'image' })).compute({ workers: 0 });
  const v = col<Tensor | null>(t, 'image', IMAGE_U8);
  assert.deepEqual(v[0]!.shape, [48, 64, 3]);
  assert.equal(v[1], null);
  await assert.rejects(
    fromRows([{ b: new Uint8Array([1, 2, 3]) }], { b: dt.binary() }).map(decodeImage({ column: 'b', from: 'bytes' })).compute({ workers: 0 }),
    (e: Error & { code?: string }) => /image\.decode/.test(e.message) && /MF_DECODE/.test(e.message) && /'b'/.test(e.message),
  );
});
