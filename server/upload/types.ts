/** The shapes that flow through an upload: source features as read, and what the reading found out. */
import type { Geometry } from 'geojson';
import { InvalidParameterError } from '../errors.ts';
import type { DeclaredEncoding } from '../wire/upload.ts';

/**
 * Text whose encoding is not known yet: the raw bytes of a DBF or CSV value. It is decoded once the encoding is
 * settled (declared by .cpg/LDID, detected, or confirmed by the uploader).
 */
export class RawText {
  constructor(readonly bytes: Uint8Array) {}
}

/** A property value as read from a source file. */
export type SourceValue = string | number | boolean | Date | RawText | null;

/** One feature as read: geometry in the source CRS, in the file's axis order. */
export interface SourceFeature {
  geometry: Geometry | null;
  properties: Record<string, SourceValue>;
  /** 1-based position in the source (row, record or placemark number) for messages. */
  row: number;
}

/** A CRS as the file declares it, before we decide what to use. */
export interface DeclaredCrs {
  /** Where it came from, for the report: '.prj', 'GeoPackage srs 9214', 'GeoJSON crs member', 'KML (always WGS 84)'. */
  source: string;
  /** An EPSG code when the declaration names one. */
  srid?: number;
  /** WKT of a .prj or a GeoPackage srs definition. */
  wkt?: string;
  /** A CRS URI/URN from GeoJSON. */
  uri?: string;
}

export type { DeclaredEncoding } from '../wire/upload.ts';

/** A column as its format declares it: a type it guarantees, or the role it plays (the CSV's coordinates). */
export interface DeclaredColumn {
  type?: 'date' | 'datetime';
  /** 'x'/'y': the column the geometry's first/second coordinate was read from (kept as an attribute too). */
  role?: 'x' | 'y';
}

/** One readable table of an upload: a shapefile, a GeoPackage table, a GeoJSON/KML/CSV file. */
export interface SourceDataset {
  /** Name in the upload (table or file name without extension). */
  name: string;
  /** Format label for the report. */
  format: 'GeoJSON' | 'Shapefile' | 'GeoPackage' | 'KML' | 'CSV';
  crs: DeclaredCrs | null;
  encoding: DeclaredEncoding | null;
  /** True when strings arrive as RawText and need an encoding decision. */
  rawText: boolean;
  /**
   * True when property names are raw bytes too (DBF field names, written in the table's code page), held as
   * Latin-1 strings (one character per byte) until the encoding is settled.
   */
  rawNames?: boolean;
  /** Fix-ups made while reading (columns detected, axes named...), for the report. */
  notes: string[];
  /** What the format itself says of some columns (GeoPackage DATE, DBF D; CSV coordinate columns), by source name. */
  declaredColumns?: Map<string, DeclaredColumn>;
  /** Reads every feature; may be called more than once (inspect, then load). */
  features(): AsyncIterable<SourceFeature>;
}

/** Input we cannot read: the file, a form field, or a confirmation answer. */
export class InvalidUploadError extends InvalidParameterError {}

/** An InvalidUploadError (400) for input we cannot read. */
export function badInput(message: string, parameter?: string): InvalidUploadError {
  return new InvalidUploadError(message, parameter);
}
