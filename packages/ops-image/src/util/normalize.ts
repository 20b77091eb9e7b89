// Per-channel (x - mean) / std in float32 arithmetic, rounding after each step as torch does, so
// results match torchvision's Normalize bit for bit.
import { InvalidArgumentError } from '@modaflow/core';

export function checkMeanStd(mean: readonly number[] | undefined, std: readonly number[] | undefined, op: string): void {
  if (!mean || !std || mean.length === 0 || mean.length !== std.length) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'mean and std must both be given, with one entry per channel', { op, fix: 'pass mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]' });
  }
  if (![...mean, ...std].every(Number.isFinite) || std.some((s) => s === 0)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `std ${JSON.stringify(std)} has a zero or mean/std hold a non-finite value`, { op, fix: 'use finite means and non-zero stds' });
  }
}

/** Normalizes (or, with inverse, restores x * std + mean) a CHW or HWC float32 tensor in place. */
export function normalizeInPlace(a: Float32Array, channels: number, chw: boolean, mean: readonly number[], std: readonly number[], inverse: boolean): void {
  const pick = (v: readonly number[], c: number): number => Math.fround(v.length === 1 ? v[0]! : v[c]!);
  if (mean.length !== 1 && mean.length !== channels) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `mean/std have ${mean.length} entries for an image with ${channels} channels`, { fix: 'give one mean/std per channel (or one for all)' });
  }
  const n = a.length / channels;
  for (let c = 0; c < channels; c++) {
    const m = pick(mean, c), s = pick(std, c);
    const start = chw ? c * n : c, step = chw ? 1 : channels, end = chw ? (c + 1) * n : a.length;
    if (inverse) for (let i = start; i < end; i += step) a[i] = Math.fround(a[i]! * s) + m;
    else for (let i = start; i < end; i += step) a[i] = Math.fround(a[i]! - m) / s;
  }
}
