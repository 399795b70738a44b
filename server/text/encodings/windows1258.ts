/**
 * Windows-1258 (CP1258): Latin-1-like, with ă â đ ê ô ơ ư and a few toned letters precomposed, and the five tone
 * marks as combining bytes (0xCC grave, 0xD2 hook, 0xDE tilde, 0xEC acute, 0xF2 dot). Decoding uses the platform's
 * WHATWG decoder, then composes to NFC; encoding writes precomposed bytes where CP1258 has them, base + tone byte otherwise.
 */
import { UnencodableCharacterError } from './errors.ts';
import { TONE_MARKS, splitTone } from './letters.ts';

const decoder = new TextDecoder('windows-1258');

/** Character -> byte for the upper half, built from the decoder so the two can never disagree. */
const ENCODE: ReadonlyMap<string, number> = new Map(
  Array.from({ length: 128 }, (_, i) => [decoder.decode(Uint8Array.of(0x80 + i)), 0x80 + i] as [string, number]),
);

/** Decodes Windows-1258 bytes to NFC text (combining tone marks composed). */
export function decodeWindows1258(bytes: Uint8Array): string {
  return decoder.decode(bytes).normalize('NFC');
}

/** Encodes NFC text as Windows-1258; throws UnencodableCharacterError for characters it cannot write. */
export function encodeWindows1258(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (ENCODE.has(ch)) out.push(ENCODE.get(ch)!);
    else out.push(...decomposed(ch));
  }
  return Uint8Array.from(out);
}

/** 'ấ' -> 'â' + acute: the toneless letter (precomposed or ASCII), then the tone's combining byte. */
function decomposed(ch: string): number[] {
  const [base, tone] = splitTone(ch);
  const baseByte = base.length === 1 && base.charCodeAt(0) < 0x80 ? base.charCodeAt(0) : ENCODE.get(base);
  const toneByte = tone ? ENCODE.get(TONE_MARKS[tone]) : undefined;
  if (baseByte === undefined || toneByte === undefined) throw new UnencodableCharacterError(ch, 'windows-1258');
  return [baseByte, toneByte];
}
