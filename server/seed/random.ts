/**
 * Deterministic randomness for the demo data: the same seed gives the same numbers on every machine,
 * so a seeded database has the same features and geometry checksum every time.
 */

/** A seeded PRNG (mulberry32): `next()` returns a float in [0, 1). */
export class Random {
  private state: number;

  constructor(seed: number | string) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  }

  /** The next float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
}

/** FNV-1a 32-bit hash of a string: a seed from a name ("road:QL1"). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * SQL expression of a uniform number in [0, 1) from the md5 of a text expression: the SQL side of
 * the seeded randomness (PostgreSQL's random() is not reproducible across runs).
 */
export function sqlHashUnit(textExpr: string): string {
  return `(('x' || substr(md5(${textExpr}), 1, 8))::bit(32)::bigint / 4294967296.0)`;
}
