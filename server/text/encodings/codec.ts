/** One entry point for every text encoding we read: bytes -> NFC text, and back (for fixtures and exports). */
import { UnencodableCharacterError } from './errors.ts';
import { decodeTcvn3, encodeTcvn3 } from './tcvn3.ts';
import { decodeVni, encodeVni } from './vni.ts';
import { decodeWindows1258, encodeWindows1258 } from './windows1258.ts';

import type { TextEncodingName } from '../../wire/upload.ts';

// The encoding names are part of the upload job report (server/wire/upload.ts).
export type { TextEncodingName };

/** Every encoding name, in the order detection tries them. */
export const TEXT_ENCODINGS: readonly TextEncodingName[] = ['utf-8', 'windows-1258', 'tcvn3', 'vni', 'windows-1252', 'latin1'];

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');
const windows1252 = new TextDecoder('windows-1252');

/** Bytes that are not valid UTF-8, when UTF-8 was asked for strictly. */
export class InvalidUtf8Error extends Error {
  constructor() {
    super('the bytes are not valid UTF-8');
    this.name = 'InvalidUtf8Error';
  }
}

/**
 * Decodes bytes to NFC text. UTF-8 drops a leading byte-order mark; with `strict`, invalid UTF-8 throws
 * InvalidUtf8Error instead of becoming U+FFFD. Latin-1 maps each byte to U+0000-U+00FF.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncodingName, strict = false): string {
  switch (encoding) {
    case 'utf-8':
      if (!strict) return utf8Lenient.decode(bytes).normalize('NFC');
      try {
        return utf8.decode(bytes).normalize('NFC');
      } catch {
        throw new InvalidUtf8Error();
      }
    case 'windows-1258':
      return decodeWindows1258(bytes);
    case 'tcvn3':
      return decodeTcvn3(bytes);
    case 'vni':
      return decodeVni(bytes);
    case 'windows-1252':
      return windows1252.decode(bytes).normalize('NFC');
    case 'latin1':
      return String.fromCharCode(...bytes).normalize('NFC');
  }
}

/** Encodes text in an encoding; throws UnencodableCharacterError naming the first character it cannot write. */
export function encodeText(text: string, encoding: TextEncodingName): Uint8Array {
  switch (encoding) {
    case 'utf-8':
      return new TextEncoder().encode(text.normalize('NFC'));
    case 'windows-1258':
      return encodeWindows1258(text);
    case 'tcvn3':
      return encodeTcvn3(text);
    case 'vni':
      return encodeVni(text);
    case 'windows-1252':
    case 'latin1':
      return singleByte(text, encoding);
  }
}

const WINDOWS_1252_HIGH = new Map(
  Array.from({ length: 32 }, (_, i) => [windows1252.decode(Uint8Array.of(0x80 + i)), 0x80 + i] as [string, number]),
);

function singleByte(text: string, encoding: 'windows-1252' | 'latin1'): Uint8Array {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    const inHigh = encoding === 'windows-1252' ? WINDOWS_1252_HIGH.get(ch) : undefined;
    if (inHigh !== undefined) out.push(inHigh);
    else if (code < 0x100 && !(encoding === 'windows-1252' && code >= 0x80 && code < 0xa0)) out.push(code);
    else throw new UnencodableCharacterError(ch, encoding);
  }
  return Uint8Array.from(out);
}
