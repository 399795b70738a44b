/**
 * SQL of the spatial queries, one builder per query. The layer table is `t`, its geometry EPSG:4326 with a GiST
 * index; the query point or area is built once from bound values. Distances are metres on the WGS 84 ellipsoid
 * (geography), after an index pre-filter in degrees. Identifiers come from the catalog only.
 */
import { featureIdSql, type Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { columnSql, joinParts, propertiesJsonSql, type SqlPart } from '../sql/parts.ts';
import { degreesCovering, type LonLat } from './distance.ts';
import type { ConversionsQuery } from './conversions.ts';
import { inNativeDomain, nativeBoxTest } from '../sql/native.ts';

/** Digits of the EPSG:4326 coordinates we return (1e-7° ≈ 1 cm). */
export const outputDigits = 7;

/**
 * The columns of a result feature: id (as JSON text: a number, or a string for a text or uuid key, so layers of both
 * kinds meet in one UNION), `k` (the integer that orders ties), geometry (GeoJSON text), properties (JSON text).
 */
function featureColumns(layer: Layer): SqlPart {
  const props = propertiesJsonSql(layer.columns);
  return {
    sql: `to_json(${featureIdSql(layer)})::text AS id, t.id AS k, ST_AsGeoJSON(t.geom, ${outputDigits}, 0) AS g, ${props.sql} AS p`,
    bindings: props.bindings,
  };
}

const pointSql = 'ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)';

/**
 * `test`, preceded for a table read in place in another SRID by the index test of its own column against the box of
 * `box` (EPSG:4326) in its SRID (server/sql/native.ts): the query geometry is transformed, never the column.
 */
function indexed(layer: Layer, box: SqlPart, test: SqlPart): SqlPart {
  const native = nativeBoxTest(layer, box.sql);
  return native === null ? test : { sql: `${native} AND ${test.sql}`, bindings: [...box.bindings, ...test.bindings] };
}

/**
 * Features of one layer at a point: polygons containing it; points and lines within `toleranceM` metres.
 * Ordered by distance, then id; at most `limit` rows.
 */
export function identifyLayerQuery(layer: Layer, order: number, at: LonLat, toleranceM: number, limit: number): SqlPart {
  const cols = featureColumns(layer);
  const deg = degreesCovering(toleranceM, at.lat);
  const near =
    layer.geometryType === 'Polygon'
      ? indexed(
          layer,
          { sql: pointSql, bindings: [at.lon, at.lat] },
          { sql: `ST_Intersects(t.geom, ${pointSql})`, bindings: [at.lon, at.lat] },
        )
      : indexed(
          layer,
          { sql: `ST_Expand(${pointSql}, ?::float8)`, bindings: [at.lon, at.lat, deg] },
          {
            sql: `ST_DWithin(t.geom, ${pointSql}, ?::float8) AND ST_DWithin(t.geom::geography, ${pointSql}::geography, ?::float8)`,
            bindings: [at.lon, at.lat, deg, at.lon, at.lat, toleranceM],
          },
        );
  // Polygons under the point are at distance 0: skip the ellipsoidal distance (costly on a province outline).
  const distance =
    layer.geometryType === 'Polygon'
      ? { sql: 'NULL::float8', bindings: [] }
      : { sql: `ST_Distance(t.geom::geography, ${pointSql}::geography)`, bindings: [at.lon, at.lat] };
  return {
    sql:
      `(SELECT ?::text AS layer, ?::int AS ord, ${cols.sql}, ${distance.sql} AS d` +
      ` FROM ${layer.tableSql} t WHERE ${near.sql} ORDER BY d, t.id LIMIT ?::int)`,
    bindings: [layer.id, order, ...cols.bindings, ...distance.bindings, ...near.bindings, limit],
  };
}

/** Identify over several layers in one round trip, in the order given (topmost first). */
export function identifyQuery(layers: readonly Layer[], at: LonLat, toleranceM: number, perLayer: number): SqlPart {
  const parts = layers.map((l, i) => identifyLayerQuery(l, i, at, toleranceM, perLayer));
  const union = joinParts(parts, ' UNION ALL ');
  return { sql: `SELECT * FROM (${union.sql}) u ORDER BY ord, d, k`, bindings: union.bindings };
}

/**
 * The k nearest features, exactly by ellipsoidal distance: the KNN operator `<->` (GiST, planar degrees) finds k
 * candidates; the farthest of them bounds the search radius; every feature within that radius is then ranked by
 * its true distance, so degree distortion cannot reorder or drop a feature.
 */
export function nearestQuery(layer: Layer, at: LonLat, k: number): SqlPart {
  const cols = featureColumns(layer);
  // A table read in place in another SRID: k candidates by the KNN of its own index (planar distance in its SRID,
  // the point transformed); any k features bound the radius, so the exact ranking below is unchanged.
  const native = inNativeDomain(layer, at.lon, at.lat) && layer.source ? layer.source.srid : null;
  const knn = native === null ? 't.geom <-> p.g' : `t.__native <-> ST_Transform(p.g, ${Math.trunc(native)})`;
  const near = indexed(
    layer,
    { sql: 'ST_Expand(p.g, r.m * ?::float8 + 1e-9)', bindings: [degreesCovering(1, at.lat)] },
    { sql: 'ST_DWithin(t.geom, p.g, r.m * ?::float8 + 1e-9)', bindings: [degreesCovering(1, at.lat)] },
  );
  return {
    sql:
      `WITH p AS (SELECT ${pointSql} AS g),` +
      ` c AS (SELECT t.geom FROM ${layer.tableSql} t, p ORDER BY ${knn} LIMIT ?::int),` +
      ` r AS (SELECT max(ST_Distance(c.geom::geography, p.g::geography)) AS m FROM c, p)` +
      ` SELECT ${cols.sql}, ST_Distance(t.geom::geography, p.g::geography) AS d FROM ${layer.tableSql} t, p, r` +
      ` WHERE ${near.sql} AND ST_DWithin(t.geom::geography, p.g::geography, r.m + 0.001)` +
      ` ORDER BY d, t.id LIMIT ?::int`,
    bindings: [at.lon, at.lat, k, ...cols.bindings, ...near.bindings, k],
  };
}

/** Features within `radiusM` metres (ellipsoid) of a point, nearest first; `limit` + 1 rows to tell truncation. */
export function withinQuery(layer: Layer, at: LonLat, radiusM: number, limit: number): SqlPart {
  const cols = featureColumns(layer);
  const deg = degreesCovering(radiusM, at.lat);
  const near = indexed(
    layer,
    { sql: 'ST_Expand(p.g, ?::float8)', bindings: [deg] },
    { sql: 'ST_DWithin(t.geom, p.g, ?::float8)', bindings: [deg] },
  );
  return {
    sql:
      `WITH p AS (SELECT ${pointSql} AS g)` +
      ` SELECT ${cols.sql}, ST_Distance(t.geom::geography, p.g::geography) AS d FROM ${layer.tableSql} t, p` +
      ` WHERE ${near.sql} AND ST_DWithin(t.geom::geography, p.g::geography, ?::float8)` +
      ` ORDER BY d, t.id LIMIT ?::int`,
    bindings: [at.lon, at.lat, ...cols.bindings, ...near.bindings, radiusM, limit + 1],
  };
}

/** The drawn area, made valid (a self-intersecting drawing must not make GEOS fail). */
const areaSql = 'ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))';

/** Features meeting the drawn area `a.g` (the table's own index first where it is read in place). */
function inArea(layer: Layer): string {
  return indexed(layer, { sql: 'a.g', bindings: [] }, { sql: 'ST_Intersects(t.geom, a.g)', bindings: [] }).sql;
}

/** Features intersecting a geometry, by id; `limit` + 1 rows to tell truncation. */
export function intersectsQuery(layer: Layer, geometryJson: string, limit: number): SqlPart {
  const cols = featureColumns(layer);
  return {
    sql:
      `WITH a AS (SELECT ${areaSql} AS g)` +
      ` SELECT ${cols.sql}, NULL::float8 AS d FROM ${layer.tableSql} t, a WHERE ${inArea(layer)} ORDER BY t.id LIMIT ?::int`,
    bindings: [geometryJson, ...cols.bindings, limit + 1],
  };
}

/** Measures of the summary: what is summed for this geometry type. */
export type SummaryMeasure = 'count' | 'area' | 'length';

/** What a layer's geometry type can be measured by. */
export function measureOf(layer: Layer): SummaryMeasure {
  return layer.geometryType === 'Polygon' ? 'area' : layer.geometryType === 'LineString' ? 'length' : 'count';
}

/** The part of feature `t` inside area `a` (the feature itself when covered, which skips GEOS overlay work). */
function partInsideSql(dim: 2 | 3): string {
  return `CASE WHEN ST_CoveredBy(t.geom, a.g) THEN t.geom ELSE ST_CollectionExtract(ST_Intersection(t.geom, a.g), ${dim}) END`;
}

/**
 * Count, and area (ha) or length (km) of the part of each feature inside the geometry, grouped by columns.
 * The part is ST_Intersection in EPSG:4326 (the feature itself when covered, which skips GEOS overlay work), measured
 * as geography on the WGS 84 ellipsoid.
 */
export function summaryQuery(layer: Layer, geometryJson: string, groupBy: readonly LayerColumn[]): SqlPart {
  const measure = measureOf(layer);
  const keys = groupBy.map((c, i) => `${columnSql(c.name)} AS k${i}`);
  const part = partInsideSql(measure === 'area' ? 3 : 2);
  const values =
    measure === 'area'
      ? ['sum(ST_Area(m.part::geography)) / 10000.0 AS area_ha']
      : measure === 'length'
        ? ['sum(ST_Length(m.part::geography)) / 1000.0 AS length_km']
        : [];
  const inner = measure === 'count' ? [] : [`${part} AS part`];
  const groupKeys = groupBy.map((_, i) => `m.k${i}`);
  return {
    sql:
      `WITH a AS (SELECT ${areaSql} AS g),` +
      ` m AS (SELECT ${[...keys, ...inner, 't.id'].join(', ')} FROM ${layer.tableSql} t, a WHERE ${inArea(layer)})` +
      ` SELECT ${[...groupKeys, 'count(*)::float8 AS count', ...values].join(', ')} FROM m` +
      (groupKeys.length ? ` GROUP BY ${groupKeys.join(', ')} ORDER BY count DESC, ${groupKeys.join(', ')}` : ''),
    bindings: [geometryJson],
  };
}

/**
 * Parcels and hectares of a plan layer per group, current code (f) and planned code (c), unchanged parcels included
 * (they make the plan area of a group). Whole parcels, or their part inside the area when one is given; the commune
 * filter is an equality on an indexed column. Grouped by position: the output names k0.. could clash with a column.
 */
export function conversionsQuery(q: ConversionsQuery): SqlPart {
  const keys = q.groupBy.map((c, i) => `${columnSql(c.name)} AS k${i}`);
  const where: SqlPart[] = [];
  if (q.geometry) where.push({ sql: 'ST_Intersects(t.geom, a.g)', bindings: [] });
  if (q.commune) where.push({ sql: `${columnSql(q.commune.column.name)} = ?::text`, bindings: [q.commune.code] });
  const cond = joinParts(where, ' AND ');
  const part = q.geometry ? partInsideSql(3) : 't.geom';
  const positions = Array.from({ length: keys.length + 2 }, (_, i) => i + 1).join(', ');
  return {
    sql:
      (q.geometry ? `WITH a AS (SELECT ${areaSql} AS g) ` : '') +
      `SELECT ${[...keys, `${columnSql(q.from.name)}::text AS f`, `${columnSql(q.to.name)}::text AS c`].join(', ')},` +
      ` count(*)::float8 AS parcels, sum(ST_Area((${part})::geography)) / 10000.0 AS area_ha` +
      ` FROM ${q.layer.tableSql} t${q.geometry ? ', a' : ''}` +
      (where.length ? ` WHERE ${cond.sql}` : '') +
      ` GROUP BY ${positions} ORDER BY ${positions}`,
    bindings: [...(q.geometry ? [JSON.stringify(q.geometry)] : []), ...cond.bindings],
  };
}

/**
 * Is this the code of a commune or ward of 1 July 2025? Known from the official old -> new mapping (migration 009);
 * `mapped` is false while the mapping is empty (an install without the units), when no code can be refused.
 */
export function communeKnownQuery(code: string): SqlPart {
  return {
    sql:
      'SELECT EXISTS (SELECT 1 FROM admin_unit_mapping WHERE new_code = ?::text) AS known,' +
      ' EXISTS (SELECT 1 FROM admin_unit_mapping) AS mapped',
    bindings: [code],
  };
}
