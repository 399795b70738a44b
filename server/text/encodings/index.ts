/** Legacy Vietnamese text encodings (Windows-1258, TCVN3, VNI) and their detection, decoding to UTF-8 NFC. */
export { TEXT_ENCODINGS, InvalidUtf8Error, decodeText, encodeText, type TextEncodingName } from './codec.ts';
export { detectVietnameseEncoding, type EncodingCandidate, type EncodingDetection } from './detect.ts';
export { dbfCodePageFromLdid, encodingFromCpg, type DbfCodePage } from './declared.ts';
export { isVietnameseSyllable, scoreVietnameseText, type VietnameseTextScore } from './syllable.ts';
export { UnencodableCharacterError } from './errors.ts';
export { VIETNAMESE_LETTERS } from './letters.ts';
