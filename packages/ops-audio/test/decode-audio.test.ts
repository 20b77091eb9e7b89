// audio.decode in a pipeline: good and bad files side by side; bad ones become per-row errors with
// codes and the run goes on. Non-WAV input goes through ffmpeg when there is one; when there is
// none (CI installs no ffmpeg) the error path is what is tested.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fromRows, dt } from '@modaflow/core';
import { decodeAudio, dsp } from '../src/index.ts';
import { column, runOp, tempDir, tone, type T32 } from './helpers.ts';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const good = dsp.encodeWav(tone(1600, 16000, 440, 2), 2, 16000, 'pcm16');
const files: Record<string, Uint8Array> = {
  'good.wav': good,
  'truncated.wav': good.subarray(0, 44 + 1000),
  'lying.wav': (() => { const b = good.slice(); new DataView(b.buffer).setUint32(40, 1 << 30, true); return b; })(),
  'zero-channels.wav': (() => { const b = good.slice(); new DataView(b.buffer).setUint16(22, 0, true); return b; })(),
  'unknown-format.wav': (() => { const b = good.slice(); new DataView(b.buffer).setUint16(20, 0x1234, true); return b; })(),
  'silence.wav': dsp.encodeWav(new Float32Array(800), 1, 8000, 'float32'),
  'empty.wav': dsp.encodeWav(new Float32Array(0), 1, 8000, 'pcm16'),
};
for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);

const FFMPEG = dsp.findFfmpeg();
if (FFMPEG) {
  spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100:duration=0.5', '-ac', '2', '-y', join(dir, 'tone.mp3')]);
  spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=22050:duration=0.25', '-y', join(dir, 'tone.flac')]);
} else {
  // An MPEG audio frame header followed by junk: what an mp3 looks like to the WAV reader.
  writeFileSync(join(dir, 'tone.mp3'), new Uint8Array([0xff, 0xfb, 0x90, 0x64, ...new Array(400).fill(0x55)]));
}

test('good and bad files in one run: bad rows are quarantined with codes, good rows decode', async () => {
  const names = ['good.wav', 'truncated.wav', 'lying.wav', 'zero-channels.wav', 'unknown-format.wav', 'missing.wav', 'silence.wav', 'empty.wav'];
  const ds = fromRows(names.map((n) => ({ path: join(dir, n) })), { path: dt.utf8() })
    .map(decodeAudio({ column: 'path', output: 'audio' }));
  const t = await ds.compute({ onError: 'quarantine' });
  assert.equal(t.report.rowsIn, 8);
  assert.equal(t.report.rowsOut, 3);
  assert.deepEqual({ ...t.report.errorsByCode }, {
    MF_AUDIO_TRUNCATED: 2, MF_AUDIO_HEADER: 1, MF_AUDIO_FORMAT: 1, MF_FILE_MISSING: 1,
  });
  const q = t.report.quarantine!;
  const msgs = q.getChild('message')!.toArray() as string[];
  assert.ok(msgs.every((m) => m.includes('fix:')), 'every reason names a fix');
  const audio = column<T32>(t, 'audio');
  assert.deepEqual(audio.map((a) => a.shape), [[2, 1600], [1, 800], [1, 0]]);
  assert.deepEqual(column<number>(t, 'audio_sample_rate'), [16000, 8000, 8000]);
  assert.deepEqual(column<number>(t, 'audio_channels'), [2, 1, 1]);
  // Silence decodes to zeros (a documented, valid clip).
  assert.ok((audio[1]!.data as Float32Array).every((v) => v === 0));
  // The default policy fails the run on the first bad row, naming op, column and code.
  await assert.rejects(ds.compute(), /MF_AUDIO_TRUNCATED|audio\.decode/);
});

test('mono, start and duration', async () => {
  const r = await runOp(decodeAudio({ column: 'p', output: 'a', mono: true, start: 0.01, duration: 0.02 }), { p: dt.utf8() }, { p: [join(dir, 'good.wav')] });
  const a = r.out.a![0] as T32;
  assert.deepEqual(a.shape, [1, 320]);
  const full = dsp.decodeWav(good);
  for (let i = 0; i < 320; i++) assert.equal(a.data[i], Math.fround((full.data[160 + i]! + full.data[1600 + 160 + i]!) / 2));
});

test('null paths give null rows; bytes work as a source', async () => {
  const r = await runOp(decodeAudio({ column: 'p', output: 'a' }), { p: dt.utf8() }, { p: [null, join(dir, 'good.wav')] });
  assert.equal(r.out.a![0], null);
  assert.deepEqual((r.out.a![1] as T32).shape, [2, 1600]);
  const b = await runOp(decodeAudio({ column: 'b', output: 'a', source: 'bytes' }), { b: dt.binary() }, { b: [good, files['truncated.wav']] });
  assert.deepEqual((b.out.a![0] as T32).shape, [2, 1600]);
  assert.equal(b.failures.length, 1);
  assert.equal(b.failures[0]!.code, 'MF_AUDIO_TRUNCATED');
});

test('an mp3 with ffmpeg absent is a row error that names the fix', async () => {
  assert.equal(dsp.findFfmpeg(undefined, ''), null, 'an empty PATH has no ffmpeg');
  const r = await runOp(decodeAudio({ column: 'p', output: 'a', ffmpegPath: join(dir, 'no-such-ffmpeg') }), { p: dt.utf8() }, { p: [join(dir, 'tone.mp3'), join(dir, 'good.wav')] });
  assert.equal(r.failures.length, 1);
  assert.equal(r.failures[0]!.code, 'MF_AUDIO_NO_FFMPEG');
  assert.match(r.failures[0]!.message, /apt-get install ffmpeg/);
  assert.deepEqual(r.keptRowIds, [1]);
  // ffmpeg: 'never' refuses non-WAV input with a format error instead.
  const n = await runOp(decodeAudio({ column: 'p', output: 'a', ffmpeg: 'never' }), { p: dt.utf8() }, { p: [join(dir, 'tone.mp3')] });
  assert.equal(n.failures[0]!.code, 'MF_AUDIO_FORMAT');
});

test('mp3 and flac decode through ffmpeg when it is installed', { skip: FFMPEG ? false : 'no ffmpeg on PATH (the error path is tested above)' }, async () => {
  const r = await runOp(decodeAudio({ column: 'p', output: 'a' }), { p: dt.utf8() }, { p: [join(dir, 'tone.mp3'), join(dir, 'tone.flac'), join(dir, 'good.wav')] });
  assert.deepEqual(r.failures, []);
  const mp3 = r.out.a![0] as T32, flac = r.out.a![1] as T32;
  assert.deepEqual(r.out.a_sample_rate, [44100, 22050, 16000]);
  assert.equal(mp3.shape[0], 2);
  assert.ok(Math.abs(mp3.shape[1]! - 22050) < 3000, `mp3 length ${mp3.shape[1]} (encoder delay/padding aside)`);
  assert.deepEqual(flac.shape, [1, 5513]);
  // ffmpeg's sine source has amplitude 1/8; flac is lossless up to 16-bit quantization.
  const d = flac.data as Float32Array;
  for (let i = 0; i < 200; i++) assert.ok(Math.abs(d[i]! - Math.sin((2 * Math.PI * 1000 * i) / 22050) / 8) < 1e-3, `flac sample ${i}`);
  // Forcing ffmpeg for WAV gives the native reader's result.
  const forced = await runOp(decodeAudio({ column: 'p', output: 'a', ffmpeg: 'always' }), { p: dt.utf8() }, { p: [join(dir, 'good.wav')] });
  assert.deepEqual(Array.from((forced.out.a![0] as T32).data), Array.from(dsp.decodeWav(good).data));
  // A corrupt mp3 fails in ffmpeg with a coded row error.
  writeFileSync(join(dir, 'bad.mp3'), new Uint8Array([0xff, 0xfb, 0x90, 0x64, 1, 2, 3]));
  const bad = await runOp(decodeAudio({ column: 'p', output: 'a' }), { p: dt.utf8() }, { p: [join(dir, 'bad.mp3')] });
  assert.equal(bad.failures.length, 1);
  assert.match(bad.failures[0]!.code, /^MF_AUDIO_/);
});

test('bad params are refused when the plan is built', () => {
  assert.throws(() => decodeAudio({ column: 'p', output: 'a', start: -1 }), /MF_INVALID_ARGUMENT.*start/);
  assert.throws(() => decodeAudio({ column: 'p', output: 'a', ffmpeg: 'sometimes' as never }), /ffmpeg must be/);
});
