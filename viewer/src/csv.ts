/**
 * CSV text (RFC 4180) for the summary download; opens in Excel with its Vietnamese letters intact.
 *
 * A cell that a spreadsheet program would run as a formula (first character `=`, `+`, `-`, `@`, tab or CR) is
 * neutralised the OWASP way: a single quote is put before it and the cell is quoted, so Excel and LibreOffice show
 * it as text. A plain number (`-12.5`, `+3`, `1e-3`) is left alone: it is not a formula, and a summary of negative
 * values must stay numbers. The same rule is in server/features/write.ts (items `f=csv`); test/unit/csv.test.ts holds both
 * to one table.
 */

/** A cell that starts like a formula. */
const formulaStart = /^[=+\-@\t\r]/;
/** A plain decimal number, optionally signed, optionally with an exponent: never a formula. */
const plainNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One CSV field: formula-like text neutralised, then quoted when it holds a comma, quote or line break. */
export function csvField(v: string | number | null | undefined): string {
  const raw = v === null || v === undefined ? '' : String(v);
  const neutralised = typeof v === 'string' && formulaStart.test(raw) && !plainNumber.test(raw);
  const s = neutralised ? `'${raw}` : raw;
  return neutralised || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text with CRLF line ends and a UTF-8 byte order mark (Excel reads the file as UTF-8 then). */
export function toCsv(header: string[], rows: Array<Array<string | number | null>>): string {
  return `\uFEFF${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
