/**
 * What a shapefile says about its text encoding: the .cpg file, and the language driver id (LDID) in byte 29 of
 * the .dbf header. Vietnamese files often declare nothing, or the system ANSI code page while holding TCVN3/VNI
 * text, so a declaration is a hint for detectVietnameseEncoding, not the last word.
 */
import type { TextEncodingName } from './codec.ts';

/** A code page declared by a DBF language driver id. */
export interface DbfCodePage {
  /** The Windows/DOS code page, or null when the LDID names none (0) or the unknown system ANSI page (0x57). */
  readonly codePage: number | null;
  /** The encoding we decode it with, or null when it is none of ours (then detect, or decode with another tool). */
  readonly encoding: TextEncodingName | null;
}

// LDID -> code page, as in the dBASE/ESRI tables (and GDAL's shapefile driver).
const LDID_CODE_PAGES: ReadonlyMap<number, number> = new Map([
  [0x01, 437],
  [0x02, 850],
  [0x03, 1252],
  [0x04, 10000],
  [0x08, 865],
  [0x09, 437],
  [0x0a, 850],
  [0x0b, 437],
  [0x0d, 437],
  [0x0e, 850],
  [0x0f, 437],
  [0x10, 850],
  [0x11, 437],
  [0x12, 850],
  [0x13, 932],
  [0x14, 850],
  [0x15, 437],
  [0x16, 850],
  [0x17, 865],
  [0x18, 437],
  [0x19, 437],
  [0x1a, 850],
  [0x1b, 437],
  [0x1c, 863],
  [0x1d, 850],
  [0x1f, 852],
  [0x22, 852],
  [0x23, 852],
  [0x24, 860],
  [0x25, 850],
  [0x26, 866],
  [0x37, 850],
  [0x40, 852],
  [0x4d, 936],
  [0x4e, 949],
  [0x4f, 950],
  [0x50, 874],
  [0x58, 1252],
  [0x59, 1252],
  [0x64, 852],
  [0x65, 866],
  [0x66, 865],
  [0x67, 861],
  [0x68, 895],
  [0x69, 620],
  [0x6a, 737],
  [0x6b, 857],
  [0x6c, 863],
  [0x78, 950],
  [0x79, 949],
  [0x7a, 936],
  [0x7b, 932],
  [0x7c, 874],
  [0x7d, 1255],
  [0x7e, 1256],
  [0x86, 737],
  [0x87, 852],
  [0x88, 857],
  [0x96, 10007],
  [0x97, 10029],
  [0xc8, 1250],
  [0xc9, 1251],
  [0xca, 1254],
  [0xcb, 1253],
  [0xcc, 1257],
]);

const CODE_PAGE_ENCODINGS: ReadonlyMap<number, TextEncodingName> = new Map([
  [1258, 'windows-1258'],
  [1252, 'windows-1252'],
  [65001, 'utf-8'],
]);

/** The code page of a DBF language driver id (header byte 29); 0 (none) and 0x57 (system ANSI) give null: detect instead. */
export function dbfCodePageFromLdid(ldid: number): DbfCodePage {
  const codePage = LDID_CODE_PAGES.get(ldid) ?? null;
  return { codePage, encoding: codePage === null ? null : (CODE_PAGE_ENCODINGS.get(codePage) ?? null) };
}

/**
 * The encoding named by a .cpg file: '1258', 'CP1258', 'Windows-1258', 'ANSI 1258', 'UTF-8', '65001', 'TCVN3',
 * 'ABC', 'TCVN5712', 'VN3', 'VNI', 'VNI-Windows', '1252', 'ISO-8859-1', 'LDID/88'... Undefined when unknown.
 */
export function encodingFromCpg(text: string): TextEncodingName | undefined {
  const key = text
    .replace(/^\uFEFF/, '')
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9/]/g, '');
  const ldid = /^LDID\/(\d+)$/.exec(key);
  if (ldid) return dbfCodePageFromLdid(Number(ldid[1])).encoding ?? undefined;
  const page = /^(?:CP|WINDOWS|WIN|ANSI|MSCP)?(\d{3,5})$/.exec(key);
  if (page) return CODE_PAGE_ENCODINGS.get(Number(page[1]));
  if (/^UTF8$/.test(key)) return 'utf-8';
  if (/^(TCVN3|TCVN|ABC|TCVN5712|TCVN57121993|VN3|TCVN3ABC)$/.test(key)) return 'tcvn3';
  if (/^(VNI|VNIWIN|VNIWINDOWS|VNIWINDOW)$/.test(key)) return 'vni';
  if (/^(ISO88591|88591|LATIN1|L1)$/.test(key)) return 'latin1';
  return undefined;
}
