/**
 * The tables of the built-in demo layers (`layers/*.json`), filled by `server/seed/`.
 * Every table: `id integer` primary key (ids are written by the seed, deterministically), `geom` in
 * EPSG:4326 lon/lat with a GiST index, lower-case snake_case columns. `name_search` holds the
 * diacritic-free key of `name` (server/text/normalize.ts) for "bac giang" -> "Bắc Giang" search.
 */
import type { Knex } from 'knex';

/** Table name -> geometry type and column definitions (SQL, after `id` and before `geom`). */
const tables: Array<{ name: string; geometry: string; columns: string[]; indexes?: string[] }> = [
  {
    name: 'admin_provinces',
    geometry: 'MultiPolygon',
    columns: [
      'code text NOT NULL',
      'name text NOT NULL',
      'full_name text NOT NULL',
      'type text NOT NULL',
      'population_2009 integer',
      'area_ha_2009 numeric',
      'vintage text NOT NULL',
      'name_search text',
    ],
  },
  {
    name: 'admin_districts',
    geometry: 'MultiPolygon',
    columns: [
      'code text NOT NULL',
      'name text NOT NULL',
      'full_name text NOT NULL',
      'type text NOT NULL',
      'province_code text NOT NULL',
      'province_name text NOT NULL',
      'population_2009 integer',
      'area_ha_2009 numeric',
      'vintage text NOT NULL',
      'name_search text',
    ],
  },
  {
    name: 'admin_communes',
    geometry: 'MultiPolygon',
    columns: [
      'code text', // GSO 5-digit code; null where no unique 2025 match was found (see layers/data/ATTRIBUTION.md)
      'name text NOT NULL',
      'full_name text NOT NULL',
      'type text', // Xã | Phường | Thị trấn; null for the Cấm Sơn military training area
      'district_code text NOT NULL',
      'district_name text NOT NULL',
      'province_code text NOT NULL',
      'province_name text NOT NULL',
      'population_2009 integer',
      'area_ha_2009 numeric',
      'vintage text NOT NULL',
      'name_search text',
    ],
    indexes: ['district_code'],
  },
  {
    name: 'roads',
    geometry: 'LineString',
    columns: [
      'name text NOT NULL',
      'ref text', // QL1, ĐT295, ĐH.03; null for local roads
      "class text NOT NULL CHECK (class IN ('national', 'provincial', 'district', 'local'))",
      'length_m double precision', // geodesic length in metres
      'name_search text',
    ],
    indexes: ['class'],
  },
  {
    name: 'rivers',
    geometry: 'LineString',
    columns: [
      'name text NOT NULL',
      "class text NOT NULL CHECK (class IN ('major', 'minor'))",
      'length_m double precision',
      'name_search text',
    ],
  },
  {
    name: 'places',
    geometry: 'Point',
    columns: [
      'name text NOT NULL',
      "kind text NOT NULL CHECK (kind IN ('city', 'town', 'commune'))",
      'population integer',
      'district_name text NOT NULL',
      'name_search text',
    ],
    indexes: ['kind'],
  },
  {
    name: 'landuse_parcels',
    geometry: 'Polygon',
    columns: [
      'parcel_no integer NOT NULL', // "số thửa": number within its map sheet
      'sheet_no integer NOT NULL', // "số tờ bản đồ": cadastral map sheet within the commune
      'code text NOT NULL', // land-use code (Circular 27/2018/TT-BTNMT), e.g. LUA, ONT, SKK
      'name_vi text NOT NULL',
      'name_en text NOT NULL',
      'area_m2 double precision NOT NULL', // geodesic area (WGS 84 ellipsoid)
      'commune_code text',
      'commune_name text NOT NULL',
      'district_name text NOT NULL',
    ],
    indexes: ['code', 'commune_code'],
  },
  {
    name: 'industrial_zones',
    geometry: 'Polygon',
    columns: [
      'name text NOT NULL',
      "kind text NOT NULL CHECK (kind IN ('park', 'cluster'))",
      "status text NOT NULL CHECK (status IN ('operating', 'under_construction', 'planned'))",
      'area_ha double precision NOT NULL', // geodesic area of the polygon
      'occupancy_pct double precision NOT NULL CHECK (occupancy_pct BETWEEN 0 AND 100)',
      'district_name text NOT NULL',
      'commune_name text NOT NULL',
      'name_search text',
    ],
  },
  {
    name: 'bts_stations',
    geometry: 'Point',
    columns: [
      'station_code text NOT NULL UNIQUE',
      "operator text NOT NULL CHECK (operator IN ('Viettel', 'VinaPhone', 'MobiFone', 'Vietnamobile'))",
      "technology text NOT NULL CHECK (technology IN ('2G', '3G', '4G', '5G'))",
      'height_m double precision NOT NULL', // antenna height above ground
      'commune_name text NOT NULL',
      'district_name text NOT NULL',
    ],
    indexes: ['operator', 'technology'],
  },
];

export async function up(knex: Knex): Promise<void> {
  for (const t of tables) {
    const columns = ['id integer PRIMARY KEY', ...t.columns, `geom geometry(${t.geometry}, 4326) NOT NULL`];
    await knex.raw(`CREATE TABLE IF NOT EXISTS "${t.name}" (\n  ${columns.join(',\n  ')}\n)`);
    await knex.raw(`CREATE INDEX IF NOT EXISTS "${t.name}_geom_idx" ON "${t.name}" USING gist (geom)`);
    for (const c of t.indexes ?? []) {
      await knex.raw(`CREATE INDEX IF NOT EXISTS "${t.name}_${c}_idx" ON "${t.name}" ("${c}")`);
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const t of [...tables].reverse()) await knex.raw(`DROP TABLE IF EXISTS "${t.name}"`);
}
