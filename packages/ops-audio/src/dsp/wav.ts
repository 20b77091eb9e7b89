// A WAV (RIFF/WAVE) reader and writer. Reads PCM 8/16/24/32-bit, IEEE float 32/64, any channel
// count, WAVE_FORMAT_EXTENSIBLE; every size in the header is checked against the bytes actually
// present, so a lying or truncated file is an error with a code, never an out-of-bounds read.
// Integer samples are scaled like torchaudio.load(normalize=True): int16 / 32768, uint8 (x-128)/128.

/** A decode failure with a stable code (MF_AUDIO_*); the op turns it into a row error. */
export class AudioDecodeError extends Error {
  override name = 'AudioDecodeError';
  readonly code: string;
  readonly fix: string;
  constructor(code: string, message: string, fix: string) {
    super(message);
    this.code = code;
    this.fix = fix;
  }
}

export interface WavInfo {
  readonly format: 'pcm' | 'float';
  readonly bitsPerSample: number;
  readonly channels: number;
  readonly sampleRate: number;
  /** Sample frames in the data chunk. */
  readonly frames: number;
  readonly dataOffset: number;
}

export interface DecodedAudio {
  /** Planar samples: channel c occupies data[c * frames .. (c + 1) * frames). */
  readonly data: Float32Array;
  readonly channels: number;
  readonly frames: number;
  readonly sampleRate: number;
}

export interface WavReadOptions {
  /** Accept a data chunk whose size field is 0 or 0xFFFFFFFF (streamed writers) as "to end of file". */
  readonly streamed?: boolean;
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const FIX_CORRUPT = 're-export or re-encode the file (e.g. ffmpeg -i in.wav out.wav), or drop it with onError: "skip"';

function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Whether the bytes start like a RIFF/WAVE file. */
export function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && tag(b, 0) === 'RIFF' && tag(b, 8) === 'WAVE';
}

/** Parse and validate the header; throws AudioDecodeError. */
export function readWavInfo(b: Uint8Array, opts: WavReadOptions = {}): WavInfo {
  if (b.length < 12) throw new AudioDecodeError('MF_AUDIO_TRUNCATED', `file has ${b.length} bytes, shorter than a RIFF header (12)`, FIX_CORRUPT);
  if (tag(b, 0) !== 'RIFF' || tag(b, 8) !== 'WAVE') {
    throw new AudioDecodeError('MF_AUDIO_FORMAT', `not a RIFF/WAVE file (starts with '${tag(b, 0)}')`, 'pass a WAV file, or let decodeAudio use ffmpeg for other formats');
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 12;
  let fmt: { code: number; channels: number; rate: number; blockAlign: number; bits: number } | null = null;
  while (pos + 8 <= b.length) {
    const id = tag(b, pos);
    const size = v.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new AudioDecodeError('MF_AUDIO_HEADER', `fmt chunk is ${size} bytes, needs at least 16`, FIX_CORRUPT);
      if (body + size > b.length) throw new AudioDecodeError('MF_AUDIO_TRUNCATED', `fmt chunk claims ${size} bytes but the file ends ${b.length - body} bytes after it starts`, FIX_CORRUPT);
      let code = v.getUint16(body, true);
      const channels = v.getUint16(body + 2, true);
      const rate = v.getUint32(body + 4, true);
      const blockAlign = v.getUint16(body + 12, true);
      const bits = v.getUint16(body + 14, true);
      if (code === 0xfffe) {
        if (size < 40) throw new AudioDecodeError('MF_AUDIO_HEADER', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, needs 40`, FIX_CORRUPT);
        code = v.getUint16(body + 24, true);
        const tail = b.subarray(body + 26, body + 40);
        if (v.getUint16(body + 26, true) !== 0 || !GUID_TAIL.every((x, i) => tail[i] === x)) {
          throw new AudioDecodeError('MF_AUDIO_FORMAT', 'WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID', 'convert the file to PCM or float WAV (ffmpeg -i in.wav -c:a pcm_s16le out.wav)');
        }
      }
      fmt = { code, channels, rate, blockAlign, bits };
    } else if (id === 'data') {
      if (!fmt) throw new AudioDecodeError('MF_AUDIO_HEADER', "data chunk comes before the fmt chunk", FIX_CORRUPT);
      const info = checkFmt(fmt);
      let bytes = size;
      const avail = b.length - body;
      if (opts.streamed && (size === 0 || size === 0xffffffff)) bytes = avail;
      else if (size > avail) {
        throw new AudioDecodeError('MF_AUDIO_TRUNCATED', `data chunk claims ${size} bytes but only ${avail} follow in the file (truncated, or the header lies)`, FIX_CORRUPT);
      }
      const frames = Math.floor(bytes / fmt.blockAlign);
      return { ...info, frames, dataOffset: body };
    }
    pos = body + size + (size & 1);
  }
  if (!fmt) throw new AudioDecodeError('MF_AUDIO_HEADER', 'no fmt chunk found', FIX_CORRUPT);
  throw new AudioDecodeError('MF_AUDIO_TRUNCATED', 'no data chunk found before the end of the file', FIX_CORRUPT);
}

function checkFmt(f: { code: number; channels: number; rate: number; blockAlign: number; bits: number }): Omit<WavInfo, 'frames' | 'dataOffset'> {
  if (f.channels === 0) throw new AudioDecodeError('MF_AUDIO_HEADER', 'header says 0 channels', FIX_CORRUPT);
  if (f.rate === 0) throw new AudioDecodeError('MF_AUDIO_HEADER', 'header says sample rate 0', FIX_CORRUPT);
  let format: 'pcm' | 'float';
  if (f.code === 1 && [8, 16, 24, 32].includes(f.bits)) format = 'pcm';
  else if (f.code === 3 && (f.bits === 32 || f.bits === 64)) format = 'float';
  else {
    const what = f.code === 1 ? `PCM with ${f.bits} bits per sample` : f.code === 3 ? `float with ${f.bits} bits` : `format code 0x${f.code.toString(16)}`;
    throw new AudioDecodeError('MF_AUDIO_FORMAT', `unsupported WAV encoding: ${what} (supported: PCM 8/16/24/32, float 32/64, extensible)`,
      'convert it with ffmpeg (ffmpeg -i in.wav -c:a pcm_s16le out.wav), or pass ffmpeg: "always" to decode through ffmpeg');
  }
  if (f.blockAlign !== (f.channels * f.bits) / 8) {
    throw new AudioDecodeError('MF_AUDIO_HEADER', `block align ${f.blockAlign} does not match ${f.channels} channels × ${f.bits} bits`, FIX_CORRUPT);
  }
  return { format, bitsPerSample: f.bits, channels: f.channels, sampleRate: f.rate };
}

export interface SliceOptions {
  /** First frame to read. */
  readonly startFrame?: number;
  /** Frames to read (default: to the end). */
  readonly frames?: number;
  /** Average the channels into one. */
  readonly mono?: boolean;
}

/** Decode a WAV file's samples (optionally a slice, optionally downmixed) to planar float32. */
export function decodeWav(b: Uint8Array, opts: SliceOptions & WavReadOptions = {}): DecodedAudio {
  const info = readWavInfo(b, opts);
  const start = Math.min(info.frames, Math.max(0, opts.startFrame ?? 0));
  const frames = Math.max(0, Math.min(info.frames - start, opts.frames ?? Infinity));
  const C = info.channels;
  const outC = opts.mono ? 1 : C;
  const out = new Float32Array(outC * frames);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bps = info.bitsPerSample / 8;
  const base = info.dataOffset + start * C * bps;
  const read = sampleReader(info, v, b);
  if (!opts.mono || C === 1) {
    for (let i = 0; i < frames; i++) {
      const fo = base + i * C * bps;
      for (let c = 0; c < C; c++) out[c * frames + i] = read(fo + c * bps);
    }
  } else {
    const inv = 1 / C;
    for (let i = 0; i < frames; i++) {
      const fo = base + i * C * bps;
      let s = 0;
      for (let c = 0; c < C; c++) s += read(fo + c * bps);
      out[i] = s * inv;
    }
  }
  return { data: out, channels: outC, frames, sampleRate: info.sampleRate };
}

function sampleReader(info: WavInfo, v: DataView, b: Uint8Array): (at: number) => number {
  if (info.format === 'float') return info.bitsPerSample === 32 ? (at) => v.getFloat32(at, true) : (at) => v.getFloat64(at, true);
  switch (info.bitsPerSample) {
    case 8: return (at) => (b[at]! - 128) / 128;
    case 16: return (at) => v.getInt16(at, true) / 32768;
    case 24: return (at) => (((b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) << 8) >> 8) / 8388608;
    default: return (at) => v.getInt32(at, true) / 2147483648;
  }
}

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';

/**
 * Encode planar samples as a WAV file (for tests, fixtures and export). Integer encodings round
 * and clip; `extensible` writes a WAVE_FORMAT_EXTENSIBLE header.
 */
export function encodeWav(data: Float32Array | Float64Array, channels: number, sampleRate: number, enc: WavEncoding = 'pcm16', extensible = false): Uint8Array {
  const frames = channels === 0 ? 0 : data.length / channels;
  const bits = { pcm8: 8, pcm16: 16, pcm24: 24, pcm32: 32, float32: 32, float64: 64 }[enc];
  const code = enc.startsWith('float') ? 3 : 1;
  const bps = bits / 8;
  const fmtSize = extensible ? 40 : 16;
  const dataBytes = frames * channels * bps;
  const total = 12 + 8 + fmtSize + 8 + dataBytes;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) b[at + i] = s.charCodeAt(i); };
  put(0, 'RIFF'); v.setUint32(4, total - 8, true); put(8, 'WAVE');
  put(12, 'fmt '); v.setUint32(16, fmtSize, true);
  v.setUint16(20, extensible ? 0xfffe : code, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * bps, true);
  v.setUint16(32, channels * bps, true);
  v.setUint16(34, bits, true);
  if (extensible) {
    v.setUint16(36, 22, true);
    v.setUint16(38, bits, true);
    v.setUint32(40, 0, true);
    // Sub-format GUID: the format code, then the standard 14-byte tail.
    v.setUint16(44, code, true);
    b.set(GUID_TAIL, 46);
  }
  const d = 12 + 8 + fmtSize;
  put(d, 'data'); v.setUint32(d + 4, dataBytes, true);
  let at = d + 8;
  const q = (x: number, scale: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(x * scale)));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const x = data[c * frames + i]!;
      switch (enc) {
        case 'pcm8': b[at] = q(x, 128, -128, 127) + 128; break;
        case 'pcm16': v.setInt16(at, q(x, 32768, -32768, 32767), true); break;
        case 'pcm24': { const s = q(x, 8388608, -8388608, 8388607); b[at] = s & 0xff; b[at + 1] = (s >> 8) & 0xff; b[at + 2] = (s >> 16) & 0xff; break; }
        case 'pcm32': v.setInt32(at, q(x, 2147483648, -2147483648, 2147483647), true); break;
        case 'float32': v.setFloat32(at, x, true); break;
        case 'float64': v.setFloat64(at, x, true); break;
      }
      at += bps;
    }
  }
  return b;
}
