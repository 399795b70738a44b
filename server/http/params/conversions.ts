/**
 * The parameters of /query/conversions: the plan layer's columns resolved through the catalog, the grouping, a
 * commune of 1 July 2025, and the area (a `bbox` in the query string of GET, a drawn `geometry` in the body of POST).
 * Each failure names its parameter (GET) or field (POST).
 */
import type { Geometry } from 'geojson';
import type { Layer } from '../../catalog/catalog.ts';
import { CRS84 } from '../../crs/registry.ts';
import { InvalidParameterError } from '../../errors.ts';
import {
  communeColumn,
  conversionGroupings,
  planColumns,
  type ConversionGrouping,
  type ConversionsQuery,
} from '../../query/conversions.ts';
import { parseBbox } from './bbox.ts';
import { parseBodyGeometry } from './geometry.ts';
import { queryValue, type QueryParams } from './query-string.ts';

/** The raw values, from the query string or a body; `where` says which ('parameter' or 'field') in messages. */
interface ConversionsInput {
  commune: unknown;
  groupBy: unknown;
  geometry: Geometry | null;
  bbox: [number, number, number, number] | null;
  where: 'parameter' | 'field';
}

/** A code of a commune or ward of 1 July 2025: five digits (the national administrative unit code). */
const communeCodePattern = /^\d{5}$/;

function resolve(layer: Layer, input: ConversionsInput): ConversionsQuery {
  const { where } = input;
  const from = layer.column(planColumns.from);
  const to = layer.column(planColumns.to);
  if (!from || !to) {
    throw new InvalidParameterError(
      `${where} "layer": layer "${layer.id}" is not a land-use plan (it has no "${planColumns.from}" and "${planColumns.to}" properties)`,
      'layer',
    );
  }
  const grouping = input.groupBy ?? 'commune_2025';
  if (typeof grouping !== 'string' || !Object.hasOwn(conversionGroupings, grouping)) {
    throw new InvalidParameterError(
      `${where} "groupBy": ${JSON.stringify(String(grouping).slice(0, 40))} is not one of ${Object.keys(conversionGroupings).join(', ')}`,
      'groupBy',
    );
  }
  const names: readonly string[] = conversionGroupings[grouping as ConversionGrouping];
  const groupBy = names.map((name) => {
    const column = layer.column(name);
    if (!column) throw new InvalidParameterError(`${where} "groupBy": layer "${layer.id}" has no property "${name}"`, 'groupBy');
    return column;
  });
  let commune: ConversionsQuery['commune'] = null;
  if (input.commune !== undefined && input.commune !== null) {
    const code = input.commune;
    if (typeof code !== 'string' || !communeCodePattern.test(code)) {
      throw new InvalidParameterError(
        `${where} "commune": ${JSON.stringify(String(code).slice(0, 40))} is not the five-digit code of a commune or ward of 1 July 2025`,
        'commune',
      );
    }
    const column = layer.column(communeColumn);
    if (!column) throw new InvalidParameterError(`${where} "commune": layer "${layer.id}" has no "${communeColumn}"`, 'commune');
    commune = { code, column };
  }
  return {
    layer,
    from,
    to,
    grouping: grouping as ConversionGrouping,
    groupBy,
    commune,
    geometry: input.geometry,
    bbox: input.bbox,
  };
}

/** A `bbox` of lon/lat (CRS84) as a polygon; a box across the antimeridian is refused (no plan lies there). */
function bboxPolygon(value: string): { bbox: [number, number, number, number]; geometry: Geometry } {
  const b = parseBbox(value, CRS84);
  if (b.minx > b.maxx)
    throw new InvalidParameterError(`parameter "bbox": the west edge ${b.minx} exceeds the east edge ${b.maxx}`, 'bbox');
  const ring = [
    [b.minx, b.miny],
    [b.maxx, b.miny],
    [b.maxx, b.maxy],
    [b.minx, b.maxy],
    [b.minx, b.miny],
  ];
  return { bbox: [b.minx, b.miny, b.maxx, b.maxy], geometry: { type: 'Polygon', coordinates: [ring] } };
}

/** GET /query/conversions: `commune`, `bbox` (CRS84 lon/lat), `groupBy`. */
export function parseConversionsQueryString(layer: Layer, query: QueryParams): ConversionsQuery {
  const bbox = queryValue(query, 'bbox');
  const area = bbox === undefined ? null : bboxPolygon(bbox);
  return resolve(layer, {
    commune: queryValue(query, 'commune'),
    groupBy: queryValue(query, 'groupBy'),
    geometry: area?.geometry ?? null,
    bbox: area?.bbox ?? null,
    where: 'parameter',
  });
}

/** POST /query/conversions: `geometry` (a drawn Polygon or MultiPolygon, EPSG:4326; optional), `commune`, `groupBy`. */
export function parseConversionsBody(layer: Layer, body: Record<string, unknown>, maxVertices: number): ConversionsQuery {
  let geometry: Geometry | null = null;
  if (body.geometry !== undefined && body.geometry !== null) {
    geometry = parseBodyGeometry(body.geometry, 'geometry', maxVertices);
    if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
      throw new InvalidParameterError(
        `field "geometry": a ${geometry.type} has no area; draw a Polygon or MultiPolygon`,
        'geometry',
      );
    }
  }
  return resolve(layer, { commune: body.commune, groupBy: body.groupBy, geometry, bbox: null, where: 'field' });
}
