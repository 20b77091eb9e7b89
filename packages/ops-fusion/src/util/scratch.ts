// Scratch arrays reused from call to call. On this kind of machine a fresh large typed array costs
// more than the work done in it (each new 4 KiB page is faulted in on first touch, ~25 µs), so
// index arrays that never leave an op's run() are kept per thread. Ops run synchronously, so one
// array per slot is enough; a slot is not kept beyond MAX_KEPT elements.
const MAX_KEPT = 1 << 22;
const slots: Int32Array[] = [];

/**
 * An Int32Array of length n (contents undefined) from scratch slot `slot`, valid until the next
 * call for the same slot: never return it, or views of it, from an op.
 */
export function scratchI32(slot: number, n: number): Int32Array {
  const have = slots[slot];
  if (have && have.length >= n) return have.subarray(0, n);
  const a = new Int32Array(n);
  if (n <= MAX_KEPT) slots[slot] = a;
  return a;
}
