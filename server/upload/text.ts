/**
 * The text encoding of DBF and CSV attribute values. Declarations (.cpg, DBF language driver byte) are read with
 * server/text/encodings, then checked against the text itself by detectVietnameseEncoding (candidate decodings
 * scored against Vietnamese syllables). A missing or contradicted declaration is proposed to the uploader, who
 * confirms it; a declaration the text agrees with, or valid UTF-8, needs no confirmation.
 */
import {
  TEXT_ENCODINGS,
  dbfCodePageFromLdid,
  decodeText as decodeWith,
  detectVietnameseEncoding,
  encodingFromCpg,
  type TextEncodingName,
} from '../text/encodings/index.ts';
import { badInput, type DeclaredEncoding } from './types.ts';
import type { EncodingDecision } from '../wire/upload.ts';

/** An encoding we decode (server/text/encodings). */
export type TextEncoding = TextEncodingName;

/** Decodes bytes in an encoding to NFC text (invalid UTF-8 becomes U+FFFD rather than failing the upload). */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding): string {
  return decodeWith(bytes, encoding);
}

/** Our name of an encoding given by a person ('tcvn3', 'CP1258', 'ABC', 'UTF8'...), or undefined. */
export function encodingByName(value: string): TextEncoding | undefined {
  const v = value.trim().toLowerCase();
  return (TEXT_ENCODINGS as readonly string[]).includes(v) ? (v as TextEncoding) : encodingFromCpg(value);
}

/** The source of the declaration a UTF-8 byte-order mark makes (Excel's "CSV UTF-8"). */
export const BYTE_ORDER_MARK = 'UTF-8 byte-order mark';

/** The encoding a declaration names, or undefined when it names none we know or none at all (LDID 0, 0x57). */
export function encodingOfDeclaration(d: DeclaredEncoding): TextEncoding | undefined {
  if (d.source === BYTE_ORDER_MARK) return 'utf-8';
  if (d.source === '.cpg') return encodingFromCpg(d.value);
  return dbfCodePageFromLdid(Number.parseInt(d.value, 16)).encoding ?? undefined;
}

/**
 * The decision for a format whose text is Unicode by definition (GeoJSON, KML, GeoPackage): nothing to decide,
 * nothing given by the uploader.
 */
export function unicodeText(format: string): EncodingDecision {
  return {
    status: 'not_needed',
    declared: null,
    encoding: 'utf-8',
    detected: null,
    confidence: null,
    candidates: [],
    reason: null,
    notes: [`${format} text is Unicode by definition`],
  };
}

/**
 * The decision after the uploader's answer at confirmation. Formats whose text is Unicode keep theirs; an answer that
 * repeats the encoding already settled (the upload page sends its preselected choice) changes nothing, so the report
 * keeps saying how it was settled; any other answer, or one to a pending question, is the uploader's.
 */
export function confirmEncoding(
  current: EncodingDecision,
  dataset: { rawText: boolean; encoding: DeclaredEncoding | null },
  samples: readonly Uint8Array[],
  answer: string | undefined,
): EncodingDecision {
  if (!dataset.rawText) return current;
  if (current.status !== 'needs_confirmation' && (answer === undefined || encodingByName(answer) === current.encoding))
    return current;
  return decideEncoding(dataset.encoding, samples, answer);
}

// The decision's shape is the job report's (server/wire/upload.ts).
export type { EncodingCandidate, EncodingDecision } from '../wire/upload.ts';

function candidatesOf(samples: readonly Uint8Array[], declared: TextEncoding | undefined) {
  const detection = detectVietnameseEncoding(samples, declared);
  const candidates = detection.alternatives.map((a) => ({
    encoding: a.encoding,
    score: Number.isFinite(a.score) ? Math.round(a.score * 1000) / 1000 : null,
    preview: samples.slice(0, 5).map((s) => decodeWith(s, a.encoding)),
  }));
  return { detection, candidates };
}

/** Decides the encoding from the declaration, the uploader's answer and the non-ASCII samples. */
export function decideEncoding(
  declared: DeclaredEncoding | null,
  samples: readonly Uint8Array[],
  answer: string | undefined,
): EncodingDecision {
  const declaredEncoding = declared ? encodingOfDeclaration(declared) : undefined;
  const notes: string[] = [];
  if (declared && !declaredEncoding) notes.push(`${declared.source} "${declared.value}" names no code page we can use`);
  if (answer !== undefined) {
    const enc = encodingByName(answer);
    if (!enc) throw badInput(`encoding "${answer}" is not one we read; use one of ${TEXT_ENCODINGS.join(', ')}`);
    const found = samples.length ? candidatesOf(samples, declaredEncoding) : null;
    notes.push(`encoding given by the uploader: ${enc}`);
    return {
      status: 'resolved',
      declared,
      encoding: enc,
      detected: found?.detection.encoding ?? null,
      confidence: found?.detection.confidence ?? null,
      candidates: found?.candidates ?? [],
      reason: null,
      notes,
    };
  }
  if (samples.length === 0) {
    notes.push('all text is ASCII');
    return {
      status: 'not_needed',
      declared,
      encoding: declaredEncoding ?? 'utf-8',
      detected: null,
      confidence: null,
      candidates: [],
      reason: null,
      notes,
    };
  }
  const { detection, candidates } = candidatesOf(samples, declaredEncoding);
  const base = { declared, detected: detection.encoding, confidence: detection.confidence, candidates, notes };
  if (declared?.source === BYTE_ORDER_MARK) {
    // Three bytes no legacy Vietnamese text starts with: the writer said UTF-8, and no score overrules it.
    notes.push('the file starts with a UTF-8 byte-order mark (as Excel\'s "CSV UTF-8" writes it): read as UTF-8');
    return { ...base, status: 'resolved', encoding: 'utf-8', reason: null };
  }
  if (declaredEncoding && !detection.declaredOverridden) {
    notes.push(`${declared!.source} says ${declaredEncoding}; the text agrees`);
    return { ...base, status: 'resolved', encoding: declaredEncoding, reason: null };
  }
  if (!declaredEncoding && detection.encoding === 'utf-8') {
    notes.push('the text is valid UTF-8 and reads as Vietnamese');
    return { ...base, status: 'resolved', encoding: 'utf-8', reason: null };
  }
  const reason = declaredEncoding
    ? `${declared!.source} says ${declaredEncoding}, but the text reads as Vietnamese only in ${detection.encoding}: confirm the encoding`
    : `no code page is declared; the text reads as Vietnamese in ${detection.encoding} (confidence ${detection.confidence}): confirm the encoding`;
  return { ...base, status: 'needs_confirmation', encoding: detection.encoding, reason };
}
