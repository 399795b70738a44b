/**
 * Which encoding a set of text samples (e.g. the DBF's string values) is in: each candidate decoding is scored
 * against the Vietnamese syllable grammar, and the declared encoding (.cpg, LDID) wins unless it is clearly wrong.
 */
import { InvalidUtf8Error, decodeText, type TextEncodingName } from './codec.ts';
import { scoreVietnameseText, type VietnameseTextScore } from './syllable.ts';

/** How one candidate encoding read the samples. */
export interface EncodingCandidate {
  readonly encoding: TextEncodingName;
  /** scoreVietnameseText of all decoded samples; -Infinity when the bytes are not valid in this encoding. */
  readonly score: number;
  readonly details: VietnameseTextScore | null;
  /** The first sample with non-ASCII bytes, decoded this way (for the job report). */
  readonly example: string;
}

/** The outcome of detectVietnameseEncoding. */
export interface EncodingDetection {
  readonly encoding: TextEncodingName;
  /** 0..1: how far the choice is ahead of the best decoding that reads the samples differently, and on how much evidence. */
  readonly confidence: number;
  /** True when a declared encoding was given and rejected as clearly wrong. */
  readonly declaredOverridden: boolean;
  /** Every candidate, best first. */
  readonly alternatives: readonly EncodingCandidate[];
}

const CANDIDATES: readonly TextEncodingName[] = ['utf-8', 'windows-1258', 'tcvn3', 'vni', 'windows-1252'];

/**
 * Detects the encoding of byte samples: UTF-8, Windows-1258, TCVN3, VNI or Windows-1252. `declared` (from
 * encodingFromCpg or dbfCodePageFromLdid) is kept unless its decoding has impossible characters, more invalid than
 * valid Vietnamese words, or scores far below the best. Pure ASCII samples read alike in all: the declared
 * encoding (or UTF-8) with confidence 1.
 */
export function detectVietnameseEncoding(samples: readonly Uint8Array[], declared?: TextEncodingName): EncodingDetection {
  const candidates = [...new Set([...(declared ? [declared] : []), ...CANDIDATES])].map((encoding) => judge(samples, encoding));
  const ranked = [...candidates].sort(
    (a, b) => b.score - a.score || CANDIDATES.indexOf(a.encoding) - CANDIDATES.indexOf(b.encoding),
  );
  const best = ranked[0];
  const declaredCandidate = candidates.find((c) => c.encoding === declared);
  const chosen = declaredCandidate && !clearlyWrong(declaredCandidate, best) ? declaredCandidate : best;
  const rival = ranked.find((c) => c !== chosen && c.text !== chosen.text);
  return {
    encoding: chosen.encoding,
    confidence: confidenceOf(chosen, rival),
    declaredOverridden: declaredCandidate !== undefined && chosen !== declaredCandidate,
    alternatives: ranked.map(({ text: _text, ...candidate }) => candidate),
  };
}

/** A candidate with the whole decoded text kept, to tell readings that differ from readings that agree. */
type Judged = EncodingCandidate & { readonly text: string | null };

function judge(samples: readonly Uint8Array[], encoding: TextEncodingName): Judged {
  const text = decodedAll(samples, encoding);
  if (text === null) return { encoding, score: -Infinity, details: null, example: '', text };
  const details = scoreVietnameseText(text);
  const firstNonAscii = samples.find((s) => s.some((b) => b >= 0x80));
  return { encoding, score: details.score, details, example: firstNonAscii ? decodeText(firstNonAscii, encoding) : '', text };
}

function decodedAll(samples: readonly Uint8Array[], encoding: TextEncodingName): string | null {
  try {
    return samples.map((s) => decodeText(s, encoding, true)).join('\n');
  } catch (err) {
    if (err instanceof InvalidUtf8Error) return null;
    throw err;
  }
}

function clearlyWrong(declared: EncodingCandidate, best: EncodingCandidate): boolean {
  const d = declared.details;
  if (!d) return true;
  return (
    (d.impossible > 0 && (best.details?.impossible ?? 0) < d.impossible) ||
    d.invalidMarked > d.validMarked ||
    declared.score < best.score - 0.5
  );
}

function confidenceOf(chosen: EncodingCandidate, rival: EncodingCandidate | undefined): number {
  if (!rival) return 1;
  const d = chosen.details;
  if (!d) return 0;
  // Margin over the best different reading (a score gap of 1.5 is decisive), damped when fewer than five words
  // carry Vietnamese letters or give evidence against the rival.
  const margin = Math.max(0, Math.min(1, (chosen.score - (Number.isFinite(rival.score) ? rival.score : -3)) / 1.5));
  const evidence = Math.min(1, (d.validMarked + (rival.details?.impossible ?? 0) + (rival.details?.invalidMarked ?? 0)) / 5);
  return Math.round(margin * (0.5 + 0.5 * evidence) * 100) / 100;
}
