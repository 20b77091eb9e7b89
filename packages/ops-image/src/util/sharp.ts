// sharp is loaded on first use, not at import: worker threads import op modules to find ops, and
// most of them never touch libvips.
import type SharpNS from 'sharp';

type SharpFn = typeof SharpNS;
let loaded: Promise<SharpFn> | undefined;

/** The sharp module, imported once per thread on first use. */
export function loadSharp(): Promise<SharpFn> {
  loaded ??= import('sharp').then((m) => {
    const s = ((m as { default?: SharpFn }).default ?? (m as unknown as SharpFn));
    // One libvips thread per call: modaflow already runs one kernel per core, and libvips' own
    // threads would oversubscribe the machine.
    s.concurrency(1);
    s.cache(false);
    return s;
  });
  return loaded;
}
