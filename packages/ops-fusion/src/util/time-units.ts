// Explicit time-unit handling: timestamps are bigint counts of a unit, and nothing in this package
// converts between units implicitly — a mismatch is an error that names the conversion to apply.
import type { DType, TimeUnit } from '@modaflow/core';
import { InvalidArgumentError } from '@modaflow/core';

/** Nanoseconds per unit. */
export const NS_PER: Readonly<Record<TimeUnit, bigint>> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

const UNIT_ALIASES: Readonly<Record<string, TimeUnit>> = { s: 's', sec: 's', ms: 'ms', us: 'us', 'µs': 'us', ns: 'ns' };

/** How a conversion to a coarser unit rounds: toward −∞ (floor), toward zero (trunc), or refuses (exact). */
export type Rounding = 'floor' | 'trunc' | 'exact';

/**
 * Convert a count of `from` units to `to` units. Finer targets are exact; coarser ones round as asked.
 *
 * @example convertTime(1_500n, 'ms', 's', 'floor') // 1n
 */
export function convertTime(v: bigint, from: TimeUnit, to: TimeUnit, rounding: Rounding = 'floor'): bigint {
  const f = NS_PER[from], t = NS_PER[to];
  if (f >= t) return v * (f / t);
  const d = t / f;
  const q = v / d; // truncates toward zero
  const r = v % d;
  if (r === 0n) return q;
  if (rounding === 'exact') {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${v} ${from} is not a whole number of ${to}`, {
      fix: "pass rounding: 'floor' or 'trunc' to round, or keep the finer unit",
    });
  }
  return rounding === 'floor' && v < 0n ? q - 1n : q;
}

/**
 * A duration in `unit`: a number or bigint is taken as already in `unit`; a string carries its own
 * unit (`'5ms'`, `'2.5 s'`, `'100us'`, `'250ns'`) and is converted exactly (fractions must resolve
 * to whole units of `unit`).
 *
 * @example parseDuration('5ms', 'ns') // 5_000_000n
 */
export function parseDuration(d: number | bigint | string, unit: TimeUnit, what = 'duration'): bigint {
  if (typeof d === 'bigint') return d;
  if (typeof d === 'number') {
    if (!Number.isFinite(d) || !Number.isInteger(d)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${what} ${d} is not a whole number of ${unit}`, {
        fix: `pass an integer count of ${unit}, or a string with a unit such as '5ms'`,
      });
    }
    return BigInt(d);
  }
  const m = /^\s*(\d+)(?:\.(\d+))?\s*([a-zµ]+)\s*$/i.exec(d);
  const u = m ? UNIT_ALIASES[m[3]!.toLowerCase()] : undefined;
  if (!m || !u) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `cannot read ${what} '${d}'`, {
      fix: "write a number with a unit: '500ns', '100us', '5ms', '2s'",
    });
  }
  const frac = m[2] ?? '';
  const scaled = BigInt(m[1]! + frac) * NS_PER[u]; // in ns × 10^frac.length
  const div = 10n ** BigInt(frac.length) * NS_PER[unit];
  if (scaled % div !== 0n) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${what} '${d}' is not a whole number of ${unit}`, {
      fix: `use a duration that is a multiple of 1${unit}`,
    });
  }
  return scaled / div;
}

/** Whether a dtype can be the time key of an alignment (timestamps and numbers). */
export function isTimeKeyType(t: DType): boolean {
  return ['timestamp', 'int64', 'uint64', 'int32', 'int16', 'int8', 'uint32', 'uint16', 'uint8', 'float32', 'float64'].includes(t.kind);
}

/** The unit of a key dtype (timestamps), or undefined for plain numbers. */
export function unitOf(t: DType): TimeUnit | undefined {
  return t.kind === 'timestamp' ? t.unit : undefined;
}
