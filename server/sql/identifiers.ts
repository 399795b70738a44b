/** SQL identifiers. Only names that came from the catalog reach this; values are always bound. */

/** Quotes an identifier for PostgreSQL, doubling embedded quotes; "a.b" stays one name, not schema.table. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error('an SQL identifier must be a non-empty string without NUL');
  return `"${name.replace(/"/g, '""')}"`;
}
