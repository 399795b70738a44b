/**
 * The CQL2 syntax tree shared by the text and JSON parsers (OGC 21-065), its limits and its one error class.
 * Both encodings produce the same tree, so a filter means the same thing whichever way it was written;
 * negated forms (`NOT LIKE`, `NOT IN`, `NOT BETWEEN`, `IS NOT NULL`) become a `not` node as in CQL2-JSON.
 */
import type { Geometry } from 'geojson';

/** A property reference: a column of the layer or its geometry (`geom`, `geometry`). */
export interface CqlProperty {
  kind: 'property';
  name: string;
}
/** A character literal. */
export interface CqlString {
  kind: 'string';
  value: string;
}
/** A finite numeric literal. */
export interface CqlNumber {
  kind: 'number';
  value: number;
}
/** TRUE or FALSE, as a value or as a whole predicate. */
export interface CqlBoolean {
  kind: 'boolean';
  value: boolean;
}
/** DATE('YYYY-MM-DD'). */
export interface CqlDate {
  kind: 'date';
  value: string;
}
/** TIMESTAMP('YYYY-MM-DDThh:mm:ssZ'), an instant in UTC or with an offset. */
export interface CqlTimestamp {
  kind: 'timestamp';
  value: string;
}
/** CASEI(x) or ACCENTI(x): the character expression compared without case or without accents. */
export interface CqlInsensitive {
  kind: 'casei' | 'accenti';
  arg: CqlScalar;
}
/** A value on either side of a comparison. */
export type CqlScalar = CqlProperty | CqlString | CqlNumber | CqlBoolean | CqlDate | CqlTimestamp | CqlInsensitive;

/** A geometry literal (WKT or GeoJSON), kept as GeoJSON; coordinates are in the filter CRS. */
export interface CqlGeometry {
  kind: 'geometry';
  geometry: Geometry;
}
/** BBOX(minx, miny, maxx, maxy) or the 6-number 3D form; minx > maxx crosses the antimeridian. */
export interface CqlBbox {
  kind: 'bbox';
  bbox: number[];
}
/** An operand of a spatial predicate. */
export type CqlGeomExpression = CqlProperty | CqlGeometry | CqlBbox;

/** The binary comparison operators. */
export const comparisonOperators = ['=', '<>', '<', '>', '<=', '>='] as const;
/** A binary comparison operator. */
export type ComparisonOperator = (typeof comparisonOperators)[number];

/** The spatial predicates of the Spatial Operators class, in their CQL2-JSON spelling. */
export const spatialOperators = [
  's_intersects',
  's_equals',
  's_disjoint',
  's_touches',
  's_within',
  's_overlaps',
  's_crosses',
  's_contains',
] as const;
/** A spatial predicate name. */
export type SpatialOperator = (typeof spatialOperators)[number];

/** A boolean expression: the whole filter or any part of it. */
export type CqlNode =
  | { kind: 'and' | 'or'; args: CqlNode[] }
  | { kind: 'not'; arg: CqlNode }
  | { kind: 'compare'; op: ComparisonOperator; left: CqlScalar; right: CqlScalar }
  | { kind: 'like'; value: CqlScalar; pattern: CqlScalar }
  | { kind: 'between'; value: CqlScalar; low: CqlScalar; high: CqlScalar }
  | { kind: 'in'; value: CqlScalar; list: CqlScalar[] }
  | { kind: 'isNull'; value: CqlScalar | CqlGeomExpression }
  | { kind: 'spatial'; op: SpatialOperator; left: CqlGeomExpression; right: CqlGeomExpression }
  | { kind: 'dwithin'; left: CqlGeomExpression; right: CqlGeomExpression; metres: number }
  | CqlBoolean;

/** Limits that keep a hostile filter from costing more than a normal one. */
export interface CqlLimits {
  /** Longest CQL2 text, in UTF-8 bytes. */
  maxTextBytes: number;
  /** Deepest nesting of expressions (parentheses, NOT, and/or args, functions). */
  maxDepth: number;
  /** Most nodes in one filter (predicates, values and geometries). */
  maxNodes: number;
  /** Most values in one IN list. */
  maxInListItems: number;
  /** Most coordinate positions over all geometry literals of one filter. */
  maxVertices: number;
}

/** The limits used when the caller gives none. */
export const defaultCqlLimits: CqlLimits = {
  maxTextBytes: 64 * 1024,
  maxDepth: 64,
  maxNodes: 10_000,
  maxInListItems: 1_000,
  maxVertices: 100_000,
};

/** A filter we cannot parse or compile. The message names the problem and where it is (offset or JSON path). */
export class CqlError extends Error {
  override readonly name = 'CqlError';
  constructor(
    message: string,
    /** `offset N` (0-based character offset of CQL2 text) or a JSON path such as `$.args[1]`; empty when unknown. */
    readonly where: string = '',
  ) {
    super(where ? `${message} at ${shorten(where)}` : message);
  }
}

/** A JSON path 64 levels deep is long: keep its start and end in messages. */
function shorten(where: string): string {
  return where.length <= 160 ? where : `${where.slice(0, 60)}...${where.slice(-80)}`;
}

const origins = new WeakMap<object, string>();

/** Remembers where in the input a node came from, for messages raised while compiling. */
export function withOrigin<T extends object>(node: T, where: string): T {
  origins.set(node, where);
  return node;
}

/** Where a node came from (`offset 12`, `$.args[0]`), or '' for a node built in code. */
export function originOf(node: object): string {
  return origins.get(node) ?? '';
}

/** Counts nodes and vertices against the limits while one filter is parsed. */
export class CqlBudget {
  private nodes = 0;
  private vertices = 0;
  constructor(readonly limits: CqlLimits) {}

  /** One more node; throws when the filter has too many. */
  node(where: string): void {
    if (++this.nodes > this.limits.maxNodes) throw new CqlError(`the filter has more than ${this.limits.maxNodes} nodes`, where);
  }

  /** One more coordinate position; throws when the geometries are too large. */
  vertex(where: string): void {
    if (++this.vertices > this.limits.maxVertices) {
      throw new CqlError(`the geometries of the filter have more than ${this.limits.maxVertices} vertices`, where);
    }
  }

  /** Throws when `depth` exceeds the nesting limit. */
  depth(depth: number, where: string): void {
    if (depth > this.limits.maxDepth)
      throw new CqlError(`the filter is nested deeper than ${this.limits.maxDepth} levels`, where);
  }
}
