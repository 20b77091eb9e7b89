// Post-processors of the tokenizer.json format: they add special tokens ([CLS] A [SEP] B [SEP],
// <s> A </s></s> B </s>, templates), set type ids, and (byte-level) trim offsets.
import type { Encoding } from './encoding.ts';
import { TokenizerConfigError } from './errors.ts';
import { BYTE_TO_CHAR } from './byte-level.ts';

export interface PostProcessor {
  /** How many special tokens `process` adds to a single input or a pair. */
  addedTokens(isPair: boolean): number;
  /** Combine the model encodings of a and (optionally) b, adding special tokens when asked. */
  process(a: Encoding, b: Encoding | null, addSpecial: boolean, tokens: readonly string[][]): Encoding;
}

/** Concatenate encodings as HF does without special tokens (type ids as the model set them). */
export function defaultProcess(a: Encoding, b: Encoding | null): Encoding {
  if (!b) return a;
  const out: Encoding = {
    ids: a.ids.concat(b.ids), typeIds: a.typeIds.concat(b.typeIds), special: a.special.concat(b.special),
    seq: (a.seq ?? a.ids.map(() => 0)).concat(b.seq ?? b.ids.map(() => 1)),
  };
  if (a.starts && b.starts) { out.starts = a.starts.concat(b.starts); out.ends = a.ends!.concat(b.ends!); }
  return out;
}

type Piece = { special: true; id: number; typeId: number } | { special: false; seq: 0 | 1; typeId: number };

/** Lay out pieces (special tokens and sequences) into one encoding. */
function layout(pieces: readonly Piece[], a: Encoding, b: Encoding | null, withOffsets: boolean): Encoding {
  const out: Encoding = { ids: [], typeIds: [], special: [], seq: [] };
  if (withOffsets) { out.starts = []; out.ends = []; }
  for (const p of pieces) {
    if (p.special) {
      out.ids.push(p.id); out.typeIds.push(p.typeId); out.special.push(1); out.seq!.push(-1);
      if (withOffsets) { out.starts!.push(0); out.ends!.push(0); }
    } else {
      const e = p.seq === 0 ? a : b;
      if (!e) continue;
      for (let i = 0; i < e.ids.length; i++) {
        out.ids.push(e.ids[i]!); out.typeIds.push(p.typeId); out.special.push(e.special[i]!); out.seq!.push(p.seq);
        if (withOffsets) { out.starts!.push(e.starts![i]!); out.ends!.push(e.ends![i]!); }
      }
    }
  }
  return out;
}

export class BertProcessing implements PostProcessor {
  constructor(readonly sep: number, readonly cls: number) {}
  addedTokens(isPair: boolean): number { return isPair ? 3 : 2; }
  process(a: Encoding, b: Encoding | null, addSpecial: boolean): Encoding {
    if (!addSpecial) return defaultProcess(a, b);
    const pieces: Piece[] = [
      { special: true, id: this.cls, typeId: 0 }, { special: false, seq: 0, typeId: 0 }, { special: true, id: this.sep, typeId: 0 },
    ];
    if (b) pieces.push({ special: false, seq: 1, typeId: 1 }, { special: true, id: this.sep, typeId: 1 });
    return layout(pieces, a, b, a.starts !== undefined);
  }
}

/** Byte-level offset trimming: a token's leading/trailing spaces are not part of its offsets. */
function trimOffsets(e: Encoding, tokens: readonly string[], addPrefixSpace: boolean): void {
  if (!e.starts || !e.ends) return;
  const space = BYTE_TO_CHAR[32]!;
  for (let i = 0; i < e.ids.length; i++) {
    const t = tokens[i] ?? '';
    let lead = 0, trail = 0;
    while (lead < t.length && (t[lead] === space || /\s/u.test(t[lead]!))) lead++;
    while (trail < t.length - lead && (t[t.length - 1 - trail] === space || /\s/u.test(t[t.length - 1 - trail]!))) trail++;
    if (lead === 0 && trail === 0) continue;
    if (addPrefixSpace && i === 0 && e.starts[i] === 0 && lead > 0) lead = 0;
    const s = e.starts[i]!, en = e.ends[i]!;
    e.starts[i] = Math.min(s + lead, en);
    if (trail > 0 && en >= trail) e.ends[i] = Math.max(en - trail, e.starts[i]!);
  }
}

export class RobertaProcessing implements PostProcessor {
  constructor(readonly sep: number, readonly cls: number, readonly trim: boolean, readonly addPrefixSpace: boolean) {}
  addedTokens(isPair: boolean): number { return isPair ? 4 : 2; }
  process(a: Encoding, b: Encoding | null, addSpecial: boolean, tokens: readonly string[][]): Encoding {
    if (this.trim) { trimOffsets(a, tokens[0]!, this.addPrefixSpace); if (b) trimOffsets(b, tokens[1]!, this.addPrefixSpace); }
    if (!addSpecial) return defaultProcess(a, b);
    const pieces: Piece[] = [
      { special: true, id: this.cls, typeId: 0 }, { special: false, seq: 0, typeId: 0 }, { special: true, id: this.sep, typeId: 0 },
    ];
    if (b) pieces.push({ special: true, id: this.sep, typeId: 0 }, { special: false, seq: 1, typeId: 0 }, { special: true, id: this.sep, typeId: 0 });
    return layout(pieces, a, b, a.starts !== undefined);
  }
}

export class ByteLevelProcessing implements PostProcessor {
  constructor(readonly trim: boolean, readonly addPrefixSpace: boolean) {}
  addedTokens(): number { return 0; }
  process(a: Encoding, b: Encoding | null, _addSpecial: boolean, tokens: readonly string[][]): Encoding {
    if (this.trim) { trimOffsets(a, tokens[0]!, this.addPrefixSpace); if (b) trimOffsets(b, tokens[1]!, this.addPrefixSpace); }
    return defaultProcess(a, b);
  }
}

type TemplateItem = { SpecialToken: { id: string; type_id: number } } | { Sequence: { id: 'A' | 'B'; type_id: number } };

export class TemplateProcessing implements PostProcessor {
  private readonly single: Piece[][];
  private readonly pair: Piece[][];
  constructor(single: TemplateItem[], pair: TemplateItem[], special: Record<string, { ids: number[] }>) {
    const conv = (items: TemplateItem[]): Piece[][] => items.map((it) => {
      if ('SpecialToken' in it) {
        const s = special[it.SpecialToken.id];
        if (!s) throw new TokenizerConfigError(`template special token '${it.SpecialToken.id}' is not in special_tokens`);
        return s.ids.map((id) => ({ special: true as const, id, typeId: it.SpecialToken.type_id }));
      }
      return [{ special: false as const, seq: it.Sequence.id === 'A' ? 0 as const : 1 as const, typeId: it.Sequence.type_id }];
    });
    this.single = conv(single);
    this.pair = conv(pair);
  }
  addedTokens(isPair: boolean): number {
    return (isPair ? this.pair : this.single).flat().filter((p) => p.special).length;
  }
  process(a: Encoding, b: Encoding | null, addSpecial: boolean): Encoding {
    if (!addSpecial) return defaultProcess(a, b);
    return layout((b ? this.pair : this.single).flat(), a, b, a.starts !== undefined);
  }
}

export class SequenceProcessing implements PostProcessor {
  constructor(readonly items: readonly PostProcessor[]) {}
  addedTokens(isPair: boolean): number { return this.items.reduce((n, p) => n + p.addedTokens(isPair), 0); }
  process(a: Encoding, b: Encoding | null, addSpecial: boolean, tokens: readonly string[][]): Encoding {
    // Only offset trimming composes before the special-token step; apply trims first, then the last
    // processor that adds tokens.
    let out: Encoding | null = null;
    for (const p of this.items) {
      if (p instanceof ByteLevelProcessing) { p.process(a, b, addSpecial, tokens); continue; }
      out = p.process(a, b, addSpecial, tokens);
    }
    return out ?? defaultProcess(a, b);
  }
}

/** Build a post-processor from its tokenizer.json description (null: none). */
export function postProcessorFromJson(j: any): PostProcessor | null {
  if (j === null || j === undefined) return null;
  switch (j.type) {
    case 'BertProcessing': return new BertProcessing(j.sep[1], j.cls[1]);
    case 'RobertaProcessing': return new RobertaProcessing(j.sep[1], j.cls[1], j.trim_offsets ?? true, j.add_prefix_space ?? true);
    case 'ByteLevel': return new ByteLevelProcessing(j.trim_offsets ?? true, j.add_prefix_space ?? true);
    case 'TemplateProcessing': return new TemplateProcessing(j.single ?? [], j.pair ?? [], j.special_tokens ?? {});
    case 'Sequence': return new SequenceProcessing((j.processors ?? []).map(postProcessorFromJson).filter((p: PostProcessor | null): p is PostProcessor => p !== null));
    default:
      throw new TokenizerConfigError(`post-processor type '${j.type}' is not supported`, 'use BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing or Sequence');
  }
}
