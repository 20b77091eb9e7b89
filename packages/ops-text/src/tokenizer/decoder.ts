// Decoders of the tokenizer.json format: tokens back to text (for inspection and round trips).
import { CHAR_TO_BYTE } from './byte-level.ts';
import { TokenizerConfigError } from './errors.ts';

export interface Decoder {
  /** Transform the token strings (HF decode_chain); the results are concatenated. */
  chain(tokens: string[]): string[];
}

/** BERT's detokenization cleanup (spaces before punctuation and contractions). */
export function cleanup(s: string): string {
  return s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

export class WordPieceDecoder implements Decoder {
  constructor(readonly prefix: string, readonly doCleanup: boolean) {}
  chain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      if (i !== 0) t = t.startsWith(this.prefix) ? t.slice(this.prefix.length) : ' ' + t;
      return this.doCleanup ? cleanup(t) : t;
    });
  }
}

const utf8 = new TextDecoder('utf-8');
const enc = new TextEncoder();

export class ByteLevelDecoder implements Decoder {
  chain(tokens: string[]): string[] {
    const bytes: number[] = [];
    for (const t of tokens) {
      const tb: number[] = [];
      let ok = true;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const b = c < 512 ? CHAR_TO_BYTE[c]! : -1;
        if (b < 0) { ok = false; break; }
        tb.push(b);
      }
      if (ok) bytes.push(...tb);
      else bytes.push(...enc.encode(t));
    }
    return [utf8.decode(Uint8Array.from(bytes))];
  }
}

export class BpeDecoder implements Decoder {
  constructor(readonly suffix: string) {}
  chain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.replaceAll(this.suffix, i === tokens.length - 1 ? '' : ' '));
  }
}

export class MetaspaceDecoder implements Decoder {
  constructor(readonly replacement: string, readonly stripFirst: boolean) {}
  chain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      const s = t.replaceAll(this.replacement, ' ');
      return i === 0 && this.stripFirst && s.startsWith(' ') ? s.slice(1) : s;
    });
  }
}

export class ReplaceDecoder implements Decoder {
  constructor(readonly pattern: string, readonly content: string) {}
  chain(tokens: string[]): string[] { return tokens.map((t) => t.replaceAll(this.pattern, this.content)); }
}

export class FuseDecoder implements Decoder {
  chain(tokens: string[]): string[] { return [tokens.join('')]; }
}

export class StripDecoder implements Decoder {
  constructor(readonly content: string, readonly start: number, readonly stop: number) {}
  chain(tokens: string[]): string[] {
    return tokens.map((t) => {
      const cs = [...t];
      let a = 0, b = cs.length;
      for (let k = 0; k < this.start && a < b && cs[a] === this.content; k++) a++;
      for (let k = 0; k < this.stop && b > a && cs[b - 1] === this.content; k++) b--;
      return cs.slice(a, b).join('');
    });
  }
}

export class ByteFallbackDecoder implements Decoder {
  chain(tokens: string[]): string[] {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (!pending.length) return;
      const s = new TextDecoder('utf-8', { fatal: true });
      try { out.push(s.decode(Uint8Array.from(pending))); } catch { for (let k = 0; k < pending.length; k++) out.push('\ufffd'); }
      pending = [];
    };
    for (const t of tokens) {
      const m = /^<0x([0-9A-F]{2})>$/.exec(t);
      if (m) pending.push(parseInt(m[1]!, 16));
      else { flush(); out.push(t); }
    }
    flush();
    return out;
  }
}

export class SequenceDecoder implements Decoder {
  constructor(readonly items: readonly Decoder[]) {}
  chain(tokens: string[]): string[] {
    for (const d of this.items) tokens = d.chain(tokens);
    return tokens;
  }
}

/** Build a decoder from its tokenizer.json description (null: none, tokens joined by spaces). */
export function decoderFromJson(j: any): Decoder | null {
  if (j === null || j === undefined) return null;
  switch (j.type) {
    case 'WordPiece': return new WordPieceDecoder(j.prefix ?? '##', j.cleanup ?? true);
    case 'ByteLevel': return new ByteLevelDecoder();
    case 'BPEDecoder': return new BpeDecoder(j.suffix ?? '</w>');
    case 'Metaspace': return new MetaspaceDecoder(j.replacement ?? '\u2581', (j.prepend_scheme ?? (j.add_prefix_space === false ? 'never' : 'always')) !== 'never');
    case 'Replace': return new ReplaceDecoder(j.pattern?.String ?? '', j.content ?? '');
    case 'Fuse': return new FuseDecoder();
    case 'Strip': return new StripDecoder(j.content ?? ' ', j.start ?? 0, j.stop ?? 0);
    case 'ByteFallback': return new ByteFallbackDecoder();
    case 'Sequence': return new SequenceDecoder((j.decoders ?? []).map(decoderFromJson).filter((d: Decoder | null): d is Decoder => d !== null));
    default:
      throw new TokenizerConfigError(`decoder type '${j.type}' is not supported`, 'use a WordPiece, ByteLevel, BPEDecoder, Metaspace, Replace, Fuse, Strip, ByteFallback or Sequence decoder');
  }
}
