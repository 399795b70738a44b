/**
 * The text encoding of DBF and CSV attribute values. Declarations (.cpg, DBF language driver byte) are read, then
 * checked against the text itself: each candidate decoding (UTF-8, Windows-1258, TCVN3, VNI) of the non-ASCII
 * samples is scored by how many words are valid Vietnamese syllables (server/text/encodings). A missing or
 * contradicted declaration is proposed to the uploader, who confirms it; valid UTF-8 needs no confirmation.
 */
import { decodeTcvn3 } from '../text/encodings/tcvn3.ts';
import { decodeVni } from '../text/encodings/vni.ts';
import { decodeWindows1258 } from '../text/encodings/windows1258.ts';
import { scoreVietnameseText } from '../text/encodings/syllable.ts';
import { badInput, type DeclaredEncoding } from './types.ts';

/** The encodings we decode, by our name. */
export const textEncodings = ['utf-8', 'windows-1258', 'tcvn3', 'vni', 'windows-1252'] as const;

/** One of textEncodings. */
export type TextEncoding = (typeof textEncodings)[number];

const utf8 = new TextDecoder('utf-8');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

/** Decodes bytes in an encoding to NFC text. */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding): string {
  switch (encoding) {
    case 'utf-8':
      return utf8.decode(bytes).normalize('NFC');
    case 'windows-1258':
      return decodeWindows1258(bytes);
    case 'tcvn3':
      return decodeTcvn3(bytes).normalize('NFC');
    case 'vni':
      return decodeVni(bytes).normalize('NFC');
    case 'windows-1252':
      return cp1252.decode(bytes).normalize('NFC');
  }
}

/** Our name of an encoding given by a person or a .cpg ('CP1258', '1258', 'TCVN3', 'ABC', 'UTF8'...), or undefined. */
export function encodingByName(value: string): TextEncoding | undefined {
  const v = value.trim().toLowerCase().replace(/[\s_]/g, '').replace(/^ansi/, '');
  if (['utf-8', 'utf8', '65001'].includes(v)) return 'utf-8';
  if (['1258', 'cp1258', 'windows-1258', 'windows1258', 'win1258'].includes(v)) return 'windows-1258';
  if (['tcvn3', 'tcvn', 'tcvn5712', 'tcvn-5712', 'abc', 'vn3', '.vntime'].includes(v)) return 'tcvn3';
  if (['vni', 'vni-windows', 'vniwindows', 'vnitimes'].includes(v)) return 'vni';
  if (['1252', 'cp1252', 'windows-1252', 'latin1', 'iso-8859-1', 'iso88591', '88591'].includes(v)) return 'windows-1252';
  return undefined;
}

// DBF language driver ids we can map (ESRI/dBASE table). 0x57 means "the system ANSI code page": no information.
const LDID: Record<number, TextEncoding> = { 0x03: 'windows-1252', 0x57: 'windows-1252' };

/** The encoding a declaration names, or undefined when it names none we know or none at all (LDID 0x57). */
export function encodingOfDeclaration(d: DeclaredEncoding): TextEncoding | undefined {
  if (d.source === '.cpg' || d.source === 'uploader') return encodingByName(d.value);
  const ldid = Number.parseInt(d.value, 16);
  return ldid === 0x57 ? undefined : LDID[ldid];
}

/** One candidate decoding of the samples. */
export interface EncodingCandidate {
  encoding: TextEncoding;
  score: number;
  /** The first samples decoded this way, for the uploader to compare. */
  preview: string[];
}

/** The encoding decision of one dataset, as the job report shows it. */
export interface EncodingDecision {
  status: 'not_needed' | 'resolved' | 'needs_confirmation';
  declared: DeclaredEncoding | null;
  /** The encoding used (or proposed, while status is needs_confirmation). */
  encoding: TextEncoding;
  /** The best-scoring decoding of the samples, when there was non-ASCII text. */
  detected: TextEncoding | null;
  candidates: EncodingCandidate[];
  reason: string | null;
  notes: string[];
}

/** Ranks the candidate decodings of non-ASCII samples, best first. UTF-8 takes part only when the bytes are valid UTF-8. */
export function rankEncodings(samples: readonly Uint8Array[]): EncodingCandidate[] {
  const validUtf8 = samples.every((s) => {
    try {
      utf8Strict.decode(s);
      return true;
    } catch {
      return false;
    }
  });
  const candidates: TextEncoding[] = validUtf8 ? ['utf-8', 'windows-1258', 'tcvn3', 'vni'] : ['windows-1258', 'tcvn3', 'vni'];
  return candidates
    .map((encoding) => {
      const texts = samples.map((s) => decodeText(s, encoding));
      const score = scoreVietnameseText(texts.join('\n')).score + (encoding === 'utf-8' ? 0.5 : 0);
      return { encoding, score: Math.round(score * 1000) / 1000, preview: texts.slice(0, 5) };
    })
    .sort((a, b) => b.score - a.score);
}

/** Decides the encoding from the declaration, the uploader's answer and the non-ASCII samples. */
export function decideEncoding(declared: DeclaredEncoding | null, samples: readonly Uint8Array[], answer: string | undefined): EncodingDecision {
  const declaredEncoding = declared ? encodingOfDeclaration(declared) : undefined;
  const notes: string[] = [];
  if (declared && !declaredEncoding) notes.push(`${declared.source} "${declared.value}" names no code page we know`);
  if (answer !== undefined) {
    const enc = encodingByName(answer);
    if (!enc) throw badInput(`encoding "${answer}" is not one we read; use one of ${textEncodings.join(', ')}`);
    const candidates = samples.length ? rankEncodings(samples) : [];
    notes.push(`encoding given by the uploader: ${enc}`);
    return { status: 'resolved', declared, encoding: enc, detected: candidates[0]?.encoding ?? null, candidates, reason: null, notes };
  }
  if (samples.length === 0) {
    return { status: 'not_needed', declared, encoding: declaredEncoding ?? 'utf-8', detected: null, candidates: [], reason: null, notes: [...notes, 'all text is ASCII'] };
  }
  const candidates = rankEncodings(samples);
  const best = candidates[0];
  const declaredScore = candidates.find((c) => c.encoding === declaredEncoding)?.score;
  const base = { declared, detected: best.encoding, candidates, notes };
  if (declaredEncoding && declaredScore !== undefined && declaredScore >= best.score - 0.05) {
    notes.push(`${declared!.source} says ${declaredEncoding}; the text agrees`);
    return { ...base, status: 'resolved', encoding: declaredEncoding, reason: null };
  }
  if (!declaredEncoding && best.encoding === 'utf-8') {
    notes.push('the text is valid UTF-8 and reads as Vietnamese');
    return { ...base, status: 'resolved', encoding: 'utf-8', reason: null };
  }
  const reason = declaredEncoding
    ? `${declared!.source} says ${declaredEncoding}, but the text reads as Vietnamese only in ${best.encoding}: confirm the encoding`
    : `no code page is declared (.cpg missing); the text reads as Vietnamese in ${best.encoding}: confirm the encoding`;
  return { ...base, status: 'needs_confirmation', encoding: best.encoding, reason };
}
