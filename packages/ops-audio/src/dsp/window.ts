// Analysis windows as torch builds them: periodic by default (torch.hann_window(N) is the
// N+1-point symmetric window without its last sample), and a window shorter than n_fft is
// zero-padded on both sides to n_fft, the left pad being floor((n_fft - win_length) / 2).

export type WindowName = 'hann' | 'hamming' | 'blackman' | 'rectangular';

/** The window of length winLength, centred in an n_fft-long buffer (torch.stft's padding). */
export function makeWindow(name: WindowName, winLength: number, nFft: number, periodic = true): Float64Array {
  const out = new Float64Array(nFft);
  const left = Math.floor((nFft - winLength) / 2);
  const denom = periodic ? winLength : winLength - 1;
  for (let i = 0; i < winLength; i++) {
    const x = denom === 0 ? 0 : (2 * Math.PI * i) / denom;
    let w: number;
    switch (name) {
      case 'hann': w = denom === 0 ? 1 : 0.5 - 0.5 * Math.cos(x); break;
      case 'hamming': w = denom === 0 ? 1 : 0.54 - 0.46 * Math.cos(x); break;
      case 'blackman': w = denom === 0 ? 1 : 0.42 - 0.5 * Math.cos(x) + 0.08 * Math.cos(2 * x); break;
      case 'rectangular': w = 1; break;
    }
    out[left + i] = w;
  }
  return out;
}
