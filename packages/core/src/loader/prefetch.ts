// Prefetch: keep k `next()` calls of an async iterator in flight, so the next k items are computed
// while the consumer works on the current one. Async generators queue concurrent next() calls and
// run them one after another, so order is kept.

/** Yield the items of `source`, computing up to `k` of them ahead of the consumer. */
export async function* prefetch<T>(source: AsyncIterator<T>, k: number): AsyncGenerator<T> {
  const pending: Promise<IteratorResult<T>>[] = [];
  const pull = (): void => {
    const p = source.next();
    // Settled later by the consumer side; this only keeps a failure ahead of it from being "unhandled".
    p.catch(() => {});
    pending.push(p);
  };
  let finished = false;
  try {
    pull();
    for (;;) {
      while (pending.length < k + 1) pull();
      const r = await pending.shift()!;
      if (r.done) { finished = true; return; }
      yield r.value;
    }
  } finally {
    if (!finished) await source.return?.();
  }
}
