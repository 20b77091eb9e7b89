// Decoding non-WAV audio (mp3, flac, ogg, m4a, …) through an ffmpeg binary: ffmpeg converts to
// a float32 WAV on stdout, which the WAV reader parses in its "streamed" mode (ffmpeg cannot seek
// a pipe to fill in the sizes). No binary is bundled: the op finds `ffmpeg` on PATH, or uses the
// path it is given, and says how to install it when there is none.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AudioDecodeError } from './wav.ts';

export const NO_FFMPEG_FIX = 'install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or pass ffmpegPath, or convert the files to WAV first';

/** The ffmpeg binary to use: an explicit path, or the first `ffmpeg` on PATH; null when none. */
export function findFfmpeg(explicit?: string, pathEnv: string | undefined = process.env.PATH): string | null {
  const candidates = explicit ? [explicit] : (pathEnv ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'ffmpeg'));
  for (const c of candidates) {
    try { accessSync(c, constants.X_OK); return c; } catch { /* try the next */ }
  }
  return null;
}

/** Run ffmpeg on a file path or on bytes (piped to stdin); resolves to a float32 WAV. */
export function ffmpegToWav(bin: string, input: { path: string } | { bytes: Uint8Array }, signal?: AbortSignal): Promise<Uint8Array> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', 'path' in input ? input.path : 'pipe:0', '-vn', '-f', 'wav', '-c:a', 'pcm_f32le', 'pipe:1'];
  if (!('path' in input)) args.splice(2, 1);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['path' in input ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'EACCES') reject(new AudioDecodeError('MF_AUDIO_NO_FFMPEG', `ffmpeg could not be started (${bin}: ${e.code})`, NO_FFMPEG_FIX));
      else reject(new AudioDecodeError('MF_AUDIO_FFMPEG', `ffmpeg failed to start: ${e.message}`, NO_FFMPEG_FIX));
    });
    if (!('path' in input)) {
      child.stdin!.on('error', () => { /* ffmpeg may exit before reading everything; its exit code tells */ });
      child.stdin!.end(input.bytes);
    }
    child.on('close', (code) => {
      if (code === 0) { const b = Buffer.concat(out); resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)); return; }
      const msg = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ') || `exit code ${code}`;
      reject(new AudioDecodeError('MF_AUDIO_DECODE', `ffmpeg could not decode the audio: ${msg}`, 'check that the file is a complete audio file ffmpeg understands, or drop it with onError: "skip"'));
    });
  });
}
