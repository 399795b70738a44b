/**
 * Geometry literals of CQL2 text: WKT (POINT, LINESTRING, POLYGON, MULTI*, GEOMETRYCOLLECTION, optional Z)
 * and BBOX(...), read from the filter's tokens into GeoJSON.
 */
import type { Geometry, Position } from 'geojson';
import { CqlBudget, CqlError, withOrigin, type CqlBbox, type CqlGeometry } from './ast.ts';
import { checkNumber } from './literals.ts';
import { checkBbox, checkLineString, checkRing } from './geometry.ts';
import type { TokenStream } from './lexer.ts';

/** WKT geometry tags (upper case). */
export const wktTags = [
  'POINT',
  'LINESTRING',
  'POLYGON',
  'MULTIPOINT',
  'MULTILINESTRING',
  'MULTIPOLYGON',
  'GEOMETRYCOLLECTION',
] as const;

/** True when the current token starts a WKT or BBOX literal. */
export function startsGeometryLiteral(ts: TokenStream): boolean {
  return (
    ts.peek().type === 'ident' && (ts.isKeyword('BBOX') || (wktTags as readonly string[]).includes(ts.peek().text.toUpperCase()))
  );
}

/** Reads one WKT or BBOX literal at the current token. */
export function readGeometryLiteral(ts: TokenStream, budget: CqlBudget): CqlGeometry | CqlBbox {
  const start = ts.peek();
  budget.node(ts.where(start));
  if (ts.isKeyword('BBOX')) {
    ts.next();
    ts.expectSymbol('(', 'after BBOX');
    const values = [signedNumber(ts)];
    while (ts.isSymbol(',')) {
      ts.next();
      values.push(signedNumber(ts));
    }
    ts.expectSymbol(')', 'to close BBOX');
    return withOrigin({ kind: 'bbox', bbox: checkBbox(values, ts.where(start)) }, ts.where(start));
  }
  return withOrigin({ kind: 'geometry', geometry: new WktReader(ts, budget).tagged(false) }, ts.where(start));
}

function signedNumber(ts: TokenStream): number {
  const t = ts.peek();
  let sign = 1;
  if (ts.isSymbol('-') || ts.isSymbol('+')) sign = ts.next().text === '-' ? -1 : 1;
  if (ts.peek().type !== 'number') throw ts.unexpected('expected a number');
  const source = ts.next().text;
  return checkNumber(sign * Number(source), ts.where(t), source);
}

class WktReader {
  constructor(
    private readonly ts: TokenStream,
    private readonly budget: CqlBudget,
  ) {}

  tagged(nested: boolean): Geometry {
    const tagToken = this.ts.peek();
    const tag = tagToken.type === 'ident' ? tagToken.text.toUpperCase() : '';
    if (!(wktTags as readonly string[]).includes(tag)) throw this.ts.unexpected('expected a WKT geometry');
    this.ts.next();
    if (this.ts.isKeyword('Z')) this.ts.next();
    if (this.ts.isKeyword('EMPTY')) throw this.ts.unexpected('empty geometries are not supported');
    const at = this.ts.where();
    switch (tag) {
      case 'POINT': {
        this.ts.expectSymbol('(', 'after POINT');
        const p = this.position();
        this.ts.expectSymbol(')', 'to close POINT');
        return { type: 'Point', coordinates: p };
      }
      case 'LINESTRING':
        return { type: 'LineString', coordinates: checkLineString(this.positions(), at) };
      case 'POLYGON':
        return { type: 'Polygon', coordinates: this.polygon() };
      case 'MULTIPOINT':
        return { type: 'MultiPoint', coordinates: this.list(() => this.multiPointMember()) };
      case 'MULTILINESTRING':
        return { type: 'MultiLineString', coordinates: this.list(() => checkLineString(this.positions(), this.ts.where())) };
      case 'MULTIPOLYGON':
        return { type: 'MultiPolygon', coordinates: this.list(() => this.polygon()) };
      default:
        if (nested)
          throw new CqlError('a GEOMETRYCOLLECTION must not contain another GEOMETRYCOLLECTION', this.ts.where(tagToken));
        return { type: 'GeometryCollection', geometries: this.list(() => this.tagged(true)) };
    }
  }

  /** "(" item ("," item)* ")" */
  private list<T>(item: () => T): T[] {
    this.ts.expectSymbol('(', 'to open a WKT list');
    const out = [item()];
    while (this.ts.isSymbol(',')) {
      this.ts.next();
      out.push(item());
    }
    this.ts.expectSymbol(')', 'to close a WKT list');
    return out;
  }

  private position(): Position {
    this.budget.vertex(this.ts.where());
    const p = [signedNumber(this.ts), signedNumber(this.ts)];
    if (this.ts.peek().type === 'number' || this.ts.isSymbol('-') || this.ts.isSymbol('+')) p.push(signedNumber(this.ts));
    return p;
  }

  private positions(): Position[] {
    return this.list(() => this.position());
  }

  private polygon(): Position[][] {
    return this.list(() => {
      const at = this.ts.where();
      return checkRing(this.positions(), at);
    });
  }

  /** MULTIPOINT((1 2), (3 4)) as the BNF says, and the common MULTIPOINT(1 2, 3 4). */
  private multiPointMember(): Position {
    if (!this.ts.isSymbol('(')) return this.position();
    this.ts.next();
    const p = this.position();
    this.ts.expectSymbol(')', 'to close a MULTIPOINT member');
    return p;
  }
}
