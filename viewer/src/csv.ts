/** CSV text (RFC 4180) for the summary download; opens in Excel with its Vietnamese letters intact. */

/** Quotes a field when it holds a comma, quote or line break. */
export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text with CRLF line ends and a UTF-8 byte order mark (Excel reads the file as UTF-8 then). */
export function toCsv(header: string[], rows: Array<Array<string | number | null>>): string {
  return `\uFEFF${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
