// The WAV reader: exact round trips for every encoding, and every malformed header is a coded
// AudioDecodeError (never an exception of another kind, never an out-of-bounds read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dsp } from '../src/index.ts';
import type { WavEncoding } from '../src/dsp/wav.ts';

const SCALE: Record<WavEncoding, number> = { pcm8: 128, pcm16: 32768, pcm24: 8388608, pcm32: 2147483648, float32: 0, float64: 0 };
const ENCODINGS = Object.keys(SCALE) as WavEncoding[];

/** Samples exactly representable in the encoding (and in float32, the output type). */
function representable(enc: WavEncoding, raw: number[]): Float64Array {
  const s = SCALE[enc];
  return Float64Array.from(raw, (u) => {
    if (s === 0) return Math.fround(u * 2 - 1);
    // pcm32: keep to 24 significant bits so the float32 output is exact.
    const q = enc === 'pcm32' ? Math.round((u * 2 - 1) * 8388607) * 256 : Math.round((u * 2 - 1) * (s - 1));
    return q / s + 0; // no -0: the decoder gives +0
  });
}

test('write → decode round-trips exactly for every encoding, channel count and header style', () => {
  fc.assert(fc.property(
    fc.constantFrom(...ENCODINGS), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 300 }), fc.boolean(),
    fc.integer({ min: 1, max: 192000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
    (enc, channels, frames, ext, sr, seed) => {
      const raw = Array.from({ length: channels * frames }, (_, i) => seed[i % seed.length]! * ((i * 7919) % 1000) / 1000);
      const x = representable(enc, raw);
      const bytes = dsp.encodeWav(x, channels, sr, enc, ext);
      const a = dsp.decodeWav(bytes);
      assert.equal(a.channels, channels);
      assert.equal(a.frames, frames);
      assert.equal(a.sampleRate, sr);
      for (let i = 0; i < x.length; i++) assert.equal(a.data[i], Math.fround(x[i]!), `sample ${i} (${enc})`);
    }), { numRuns: 150 });
});

test('downmix averages channels; start/frames slice before decoding', () => {
  const x = Float64Array.from([0.5, 0.25, -0.5, 0, /* ch1 */ -0.5, 0.25, 0.5, 1 - 1 / 32768]);
  const b = dsp.encodeWav(x, 2, 8000, 'pcm16');
  const mono = dsp.decodeWav(b, { mono: true });
  assert.equal(mono.channels, 1);
  assert.deepEqual(Array.from(mono.data), [0, 0.25, 0, (1 - 1 / 32768) / 2].map(Math.fround));
  const part = dsp.decodeWav(b, { startFrame: 1, frames: 2 });
  assert.deepEqual(Array.from(part.data), [0.25, -0.5, 0.25, 0.5]);
  assert.equal(dsp.decodeWav(b, { startFrame: 10 }).frames, 0);
});

function corrupt(f: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array {
  const b = dsp.encodeWav(Float64Array.from({ length: 200 }, (_, i) => Math.sin(i / 5) * 0.5), 2, 16000, 'pcm16');
  return f(b, new DataView(b.buffer)) ?? b;
}

const BAD: [string, Uint8Array, string][] = [
  ['truncated data', corrupt((b) => b.subarray(0, 44 + 100)), 'MF_AUDIO_TRUNCATED'],
  ['data size lies (larger than the file)', corrupt((_b, v) => v.setUint32(40, 10_000_000, true)), 'MF_AUDIO_TRUNCATED'],
  ['shorter than a RIFF header', new Uint8Array([0x52, 0x49, 0x46]), 'MF_AUDIO_TRUNCATED'],
  ['header only, no data chunk', corrupt((b) => b.subarray(0, 36)), 'MF_AUDIO_TRUNCATED'],
  ['fmt chunk size runs past the end', corrupt((b, v) => { v.setUint32(16, 100_000, true); return b.subarray(0, 60); }), 'MF_AUDIO_TRUNCATED'],
  ['zero channels', corrupt((_b, v) => v.setUint16(22, 0, true)), 'MF_AUDIO_HEADER'],
  ['sample rate 0', corrupt((_b, v) => v.setUint32(24, 0, true)), 'MF_AUDIO_HEADER'],
  ['block align inconsistent', corrupt((_b, v) => v.setUint16(32, 3, true)), 'MF_AUDIO_HEADER'],
  ['unknown format code (0x55, mp3-in-wav)', corrupt((_b, v) => v.setUint16(20, 0x55, true)), 'MF_AUDIO_FORMAT'],
  ['PCM with 12 bits', corrupt((_b, v) => v.setUint16(34, 12, true)), 'MF_AUDIO_FORMAT'],
  ['not RIFF at all (an mp3 frame header)', new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'MF_AUDIO_FORMAT'],
];

for (const [what, bytes, code] of BAD) {
  test(`bad WAV: ${what} → ${code}`, () => {
    assert.throws(() => dsp.decodeWav(bytes), (e: unknown) => e instanceof dsp.AudioDecodeError && e.code === code && e.fix.length > 0);
  });
}

test('extensible header with a foreign sub-format GUID is refused with a code', () => {
  const b = dsp.encodeWav(Float64Array.from([0, 0.5]), 1, 8000, 'pcm16', true);
  b[50] = 0x99; // inside the GUID tail
  assert.throws(() => dsp.decodeWav(b), (e: unknown) => e instanceof dsp.AudioDecodeError && e.code === 'MF_AUDIO_FORMAT');
});

test('fuzz: any byte mutation of a valid file decodes or fails with an AudioDecodeError', () => {
  const base = dsp.encodeWav(Float64Array.from({ length: 64 }, (_, i) => (i % 7) / 7 - 0.5), 2, 22050, 'pcm24', true);
  assert.equal(dsp.decodeWav(base).frames, 32);
  let decoded = 0;
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), fc.nat(base.length),
    (edits, cut) => {
      const b = base.slice(0, Math.max(cut, 1));
      for (const [i, v] of edits) if (i < b.length) b[i] = v;
      try {
        const a = dsp.decodeWav(b);
        assert.equal(a.data.length, a.channels * a.frames);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof dsp.AudioDecodeError, `unexpected ${(e as Error).name}: ${(e as Error).message}`);
      }
    }), { numRuns: 400 });
  void decoded;
  // Random cuts mostly truncate the file, so whether a random run decodes anything is luck; a
  // mutation inside the samples of a full-length file must decode, deterministically.
  const inSamples = base.slice();
  inSamples[inSamples.length - 2] ^= 0x55;
  assert.equal(dsp.decodeWav(inSamples).frames, 32);
});

test('streamed headers (size 0xFFFFFFFF, as ffmpeg writes to a pipe) are accepted only in streamed mode', () => {
  const b = dsp.encodeWav(Float64Array.from([0.5, -0.5, 0.25]), 1, 8000, 'float32');
  new DataView(b.buffer).setUint32(40, 0xffffffff, true);
  assert.throws(() => dsp.decodeWav(b), (e: unknown) => e instanceof dsp.AudioDecodeError && e.code === 'MF_AUDIO_TRUNCATED');
  assert.deepEqual(Array.from(dsp.decodeWav(b, { streamed: true }).data), [0.5, -0.5, 0.25]);
});
