/**
 * A layer as the public API describes it to clients, and the vocabularies its definition is written in (groups,
 * geometry types, column types, styles). The layer definition schema (server/catalog/definition.ts) is built from
 * these, and the viewer reads `/viewer/config.json` as these types. Pure types and constants: this module imports
 * nothing, so the viewer may bundle it (see the `wire-is-pure` rule in .dependency-cruiser.cjs).
 */

/** The layer groups of the viewer's panel, in panel order. */
export const layerGroups = ['basemap', 'landuse', 'industry', 'telecom', 'other'] as const;

/** One layer group. */
export type LayerGroup = (typeof layerGroups)[number];

/** The geometry types a layer may hold (each also as its Multi- variant in the table). */
export const geometryTypes = ['Point', 'LineString', 'Polygon'] as const;

/** The geometry type of a layer. */
export type GeometryType = (typeof geometryTypes)[number];

/** Column types we expose; they map to JSON Schema types in queryables and MVT value types. */
export const columnTypes = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;

/** The type of one column. */
export type ColumnType = (typeof columnTypes)[number];

/** Who may read a layer: everyone, or callers with a token. */
export type LayerAccess = 'public' | 'restricted';

/** A label in both languages. */
export interface Label {
  en: string;
  vi: string;
}

/** A column of a layer with its labels. */
export interface LayerColumn {
  /** A lower-case SQL identifier. */
  name: string;
  type: ColumnType;
  label: Label;
  description?: string;
}

/** One category of a categorical style. */
export interface StyleCategory {
  value: string | number;
  /** `#rrggbb`. */
  color: string;
  label: Label;
}

/** How the viewer draws a layer: one colour, or a colour per value of a property. */
export interface LayerStyle {
  type: 'single' | 'categorical';
  color?: string;
  fillOpacity?: number;
  weight?: number;
  radius?: number;
  property?: string;
  categories?: StyleCategory[];
  labelProperty?: string;
}

/** EPSG:4326 [minLon, minLat, maxLon, maxLat]. */
export type LonLatBounds = [number, number, number, number];

/**
 * What the viewer learns about one layer (GET /viewer/config.json). `title_vi` keeps the name the public API
 * publishes (as in /collections and the layer files).
 */
export interface ViewerLayer {
  id: string;
  title: string;
  title_vi: string;
  description: string;
  group: LayerGroup;
  geometryType: GeometryType;
  style: LayerStyle;
  columns: readonly LayerColumn[];
  minzoom: number;
  maxzoom: number;
  /** Null for an empty layer. */
  bounds: LonLatBounds | null;
  sortOrder: number;
  attribution: string;
  access: LayerAccess;
  /** Grows when the layer's data is replaced: the viewer then reloads its tiles. */
  dataVersion: number;
}

/** The body of GET /viewer/config.json: the layers the caller may read. */
export interface ViewerConfig {
  layers: ViewerLayer[];
}
