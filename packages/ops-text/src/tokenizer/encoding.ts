// The result of tokenizing one input (one sequence or a pair), before padding. Offsets are in
// UTF-16 units of the sequence they came from until the tokenizer converts them to code points.

export interface Encoding {
  ids: number[];
  typeIds: number[];
  /** 1 for special tokens added by the post-processor (and for padding). */
  special: number[];
  /** Token i covers [starts[i], ends[i]) of its sequence; present when offsets were asked for. */
  starts?: number[];
  ends?: number[];
  /** Which sequence each token came from (0, 1; -1 for special tokens). */
  seq?: number[];
}

/** Keep `n` tokens of an encoding, from the right end (direction 'left') or the left end. */
export function truncateEncoding(e: Encoding, n: number, direction: 'right' | 'left'): void {
  const len = e.ids.length;
  if (n >= len) return;
  const cut = <T>(a: T[] | undefined): void => {
    if (!a) return;
    if (direction === 'right') a.length = n;
    else a.splice(0, len - n);
  };
  cut(e.ids); cut(e.typeIds); cut(e.special); cut(e.starts); cut(e.ends); cut(e.seq);
}
