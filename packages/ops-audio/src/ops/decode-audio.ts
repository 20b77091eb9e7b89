// audio.decode: file paths (or bytes) → float32 waveform [channels, samples], sample rate and
// channel count. WAV is read natively; other formats go through ffmpeg when it is available.
import { readFile, stat } from 'node:fs/promises';
import { defineOp, dt, type Binary, type Utf8 } from '@modaflow/core';
import { AudioDecodeError, decodeWav, isWav, type DecodedAudio } from '../dsp/wav.ts';
import { ffmpegToWav, findFfmpeg, NO_FFMPEG_FIX } from '../dsp/ffmpeg.ts';
import { TensorColumn, WAVEFORM, need, reason, type Int32, type Waveform } from '../internal/tensors.ts';

export interface DecodeAudioParams {
  /** Column with file paths (utf8), or file bytes (binary) when `source: 'bytes'`. */
  readonly column: string;
  /** What the column holds: 'path' (default, utf8) or 'bytes' (binary). */
  readonly source?: 'path' | 'bytes';
  /** Output waveform column; `${output}_sample_rate` and `${output}_channels` are written too. */
  readonly output: string;
  /** Average all channels into one (output shape [1, samples]). */
  readonly mono?: boolean;
  /** Seconds to skip at the start (past the end gives zero samples). */
  readonly start?: number;
  /** Seconds to keep from `start` (default: to the end). */
  readonly duration?: number;
  /** 'auto' (default): WAV natively, other formats through ffmpeg; 'never': WAV only; 'always': everything through ffmpeg. */
  readonly ffmpeg?: 'auto' | 'never' | 'always';
  /** Path of the ffmpeg binary (default: `ffmpeg` on PATH). */
  readonly ffmpegPath?: string;
  /** Files larger than this many bytes are refused (default 1 GiB). */
  readonly maxBytes?: number;
}

const NAME = 'audio.decode';

async function decodeOne(src: string | Uint8Array, p: DecodeAudioParams, signal: AbortSignal): Promise<DecodedAudio> {
  const maxBytes = p.maxBytes ?? 2 ** 30;
  let bytes: Uint8Array | null = null;
  if (typeof src === 'string') {
    let size: number;
    try { size = (await stat(src)).size; } catch (e) {
      throw new AudioDecodeError('MF_FILE_MISSING', `cannot read '${src}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path (paths from readManifest are resolved against the dataset root)');
    }
    if (size > maxBytes) throw new AudioDecodeError('MF_LIMIT_EXCEEDED', `file is ${size} bytes, above maxBytes ${maxBytes}`, 'raise maxBytes, or split the file');
  } else if (src.length > maxBytes) {
    throw new AudioDecodeError('MF_LIMIT_EXCEEDED', `audio is ${src.length} bytes, above maxBytes ${maxBytes}`, 'raise maxBytes, or split the file');
  }
  const mode = p.ffmpeg ?? 'auto';
  if (mode !== 'always') {
    bytes = typeof src === 'string' ? new Uint8Array(await readFile(src)) : src;
    if (isWav(bytes) || mode === 'never') return slice(bytes, p, false);
  }
  const bin = findFfmpeg(p.ffmpegPath);
  if (!bin) {
    throw new AudioDecodeError('MF_AUDIO_NO_FFMPEG', `not a WAV file and no ffmpeg binary was found${p.ffmpegPath ? ` at ${p.ffmpegPath}` : ' on PATH'} to decode it`, NO_FFMPEG_FIX);
  }
  const wav = await ffmpegToWav(bin, typeof src === 'string' ? { path: src } : { bytes: src }, signal);
  return slice(wav, p, true);
}

function slice(bytes: Uint8Array, p: DecodeAudioParams, streamed: boolean): DecodedAudio {
  // The rate is only known from the header; read it first to turn seconds into frames.
  const probe = decodeWav(bytes, { streamed, frames: 0 });
  const sr = probe.sampleRate;
  const startFrame = p.start ? Math.round(p.start * sr) : 0;
  return decodeWav(bytes, {
    streamed,
    startFrame,
    ...(p.duration !== undefined ? { frames: Math.round(p.duration * sr) } : {}),
    ...(p.mono ? { mono: true } : {}),
  });
}

const def = defineOp<DecodeAudioParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Decode audio files to float32 [channels, samples] with sample rate and channel count',
  inputs: (p) => ({ [p.column]: p.source === 'bytes' ? dt.binary() : dt.utf8() }),
  outputs: (p) => ({ [p.output]: WAVEFORM, [`${p.output}_sample_rate`]: dt.int32(), [`${p.output}_channels`]: dt.int32() }),
  properties: { costPerRow: 2000 },
  validate(p) {
    need(typeof p.column === 'string' && typeof p.output === 'string', NAME, 'column and output must be strings', "decodeAudio({ column: 'audio_path', output: 'audio' })");
    need(p.start === undefined || (Number.isFinite(p.start) && p.start >= 0), NAME, `start must be a non-negative number of seconds, got ${p.start}`, 'pass start in seconds, e.g. 1.5');
    need(p.duration === undefined || (Number.isFinite(p.duration) && p.duration >= 0), NAME, `duration must be a non-negative number of seconds, got ${p.duration}`, 'pass duration in seconds, e.g. 10');
    need(p.source === undefined || p.source === 'path' || p.source === 'bytes', NAME, `source must be 'path' or 'bytes', got ${p.source}`, "use source: 'bytes' for a binary column of file contents");
    need(p.ffmpeg === undefined || ['auto', 'never', 'always'].includes(p.ffmpeg), NAME, `ffmpeg must be 'auto', 'never' or 'always', got ${p.ffmpeg}`, "use ffmpeg: 'auto'");
  },
  async kernel(input, p, ctx) {
    const src = input.values(p.column) as (string | Uint8Array | null)[];
    const n = input.numRows;
    const wave = new TensorColumn(2, n);
    const rate: (number | null)[] = new Array(n).fill(null);
    const chans: (number | null)[] = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      const s = src[i];
      if (s === null || s === undefined) continue;
      try {
        const a = await decodeOne(p.source === 'bytes' ? (s as Uint8Array) : String(s), p, ctx.signal);
        wave.set(i, a.data, [a.channels, a.frames]);
        rate[i] = a.sampleRate;
        chans[i] = a.channels;
      } catch (e) {
        if (e instanceof AudioDecodeError) ctx.rowError(i, reason(e.message, e.fix), { column: p.column, code: e.code });
        else if ((e as Error)?.name === 'AbortError') throw e;
        else ctx.rowError(i, reason(`decoding failed: ${(e as Error)?.message ?? String(e)}`, 'check the file'), { column: p.column, code: 'MF_AUDIO_DECODE' });
      }
    }
    return { columns: { [p.output]: wave.build(), [`${p.output}_sample_rate`]: Int32Array.from(rate, (r) => r ?? 0), [`${p.output}_channels`]: Int32Array.from(chans, (c) => c ?? 0) } };
  },
});

/**
 * Decode audio (WAV natively; mp3/flac/ogg/m4a through ffmpeg) into `output` (float32
 * [channels, samples]), `${output}_sample_rate` and `${output}_channels`.
 *
 * @example
 * readManifest('data').map(decodeAudio({ column: 'audio_path', output: 'audio', mono: true }))
 */
export function decodeAudio<C extends string, O extends string, Src extends 'path' | 'bytes' = 'path'>(p: DecodeAudioParams & { column: C; output: O; source?: Src }) {
  return def.call<{ [K in C]: Src extends 'bytes' ? Binary : Utf8 }, { [K in O]: Waveform } & { [K in `${O}_sample_rate` | `${O}_channels`]: Int32 }>(p);
}
