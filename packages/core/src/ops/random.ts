// Counter-based random numbers keyed on (seed, op key, row id): the value drawn for a row does not
// depend on worker count, batch size or scheduling. The mixer is SplitMix-style 32-bit hashing
// (murmur3 finalizer) over the key words plus a per-draw counter.

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a then fmix). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A per-row generator. Every draw advances a counter; the stream is a pure function of the key. */
export interface Rng {
  /** Uniform uint32. */
  uint32(): number;
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
}

function rowBase(seed: number, key: number, rowId: number): number {
  const lo = rowId >>> 0;
  const hi = Math.floor(rowId / 4294967296) >>> 0;
  return fmix32(fmix32(fmix32((seed >>> 0) ^ 0x9e3779b9) ^ key) ^ lo) ^ fmix32(hi + 0x632be5ab);
}

// A class, not an object of closures: kernels make one generator per row, so construction must be
// a couple of field writes.
class RowRng implements Rng {
  private readonly base: number;
  private counter = 0;
  constructor(base: number) {
    this.base = base;
  }
  uint32(): number {
    return fmix32(this.base + Math.imul(++this.counter, 0x9e3779b9));
  }
  float(): number {
    return (this.uint32() * 2097152 + (this.uint32() >>> 11)) / 9007199254740992;
  }
  uniform(a: number, b: number): number {
    return a + (b - a) * this.float();
  }
  int(a: number, b: number): number {
    return a + Math.floor(this.float() * (b - a + 1));
  }
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  bernoulli(p: number): boolean {
    return this.float() < p;
  }
}

/** The generator for one row of one op. `rowId` is the source row id (an integer < 2^53). */
export function rowRng(seed: number, key: number, rowId: number): Rng {
  return new RowRng(rowBase(seed, key, rowId));
}

/**
 * The first `uint32()` of `rowRng(seed, key, rowId)`, without building a generator: for hot loops
 * that need one keyed draw per row (the loader's full shuffle keys every row of an epoch).
 */
export function rowUint32(seed: number, key: number, rowId: number): number {
  return fmix32(rowBase(seed, key, rowId) + Math.imul(1, 0x9e3779b9));
}
