/**
 * npm-less build step: `npx tsx scripts/build-crosswalk.ts` derives the crosswalk 2009 -> 2025-03 -> 2025-07 from
 * the shipped 2009 communes and the official mapping (both in layers/data/), with the commune borders measured in an
 * in-memory PostGIS (PGlite), and writes layers/data/bac_ninh_crosswalk_2025.json. Deterministic: run it again and
 * the file does not change. The seed reads only the JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { loadCommunes } from '../server/seed/admin.ts';
import { defaultDataDir } from '../server/seed/demo.ts';
import { loadMapping, mappingFile } from '../server/units/mapping.ts';
import { crosswalkFile, type CrosswalkFile } from '../server/units/crosswalk-file.ts';
import { matchCommunes, matchRules, planUnits, type Neighbour } from '../server/units/matching.ts';

/** Communes closer than this (degrees, about 150 m: the thinning of the source) count as bordering. */
const touchDegrees = 0.0015;

const features = loadCommunes(defaultDataDir);
const communes = features.map((f, i) => ({ id: i + 1, ...f.properties }));
const mapping = loadMapping(defaultDataDir);

const pg = await PGlite.create({ extensions: { postgis } });
await pg.exec('CREATE EXTENSION postgis');
await pg.exec('CREATE TABLE c (id int PRIMARY KEY, geom geometry)');
await pg.query(
  `INSERT INTO c SELECT (f->>'id')::int, ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326))
   FROM jsonb_array_elements($1::jsonb) f`,
  [JSON.stringify(features.map((f, i) => ({ id: i + 1, geometry: JSON.stringify(f.geometry) })))],
);
// The length of a's outline within touchDegrees of b: the thinned communes rarely share their border exactly.
const touching = await pg.query<{ a: number; b: number; weight: number }>(
  `SELECT a.id AS a, b.id AS b,
     round(ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Buffer(b.geom, $1::float8)))::numeric, 6)::float8 AS weight
   FROM c a JOIN c b ON a.id < b.id AND ST_DWithin(a.geom, b.geom, $1::float8) ORDER BY a.id, b.id`,
  [touchDegrees],
);
await pg.close();
const neighbours: Neighbour[] = touching.rows.filter((r) => r.weight > 0);

const matches = matchCommunes(communes, mapping.oldUnits, neighbours);
const units = planUnits(mapping.newUnits, mapping.oldUnits, matches);
const claimed = new Set(matches.map((m) => m.code_2025_03));
const counts = Object.fromEntries(matchRules.map((r) => [r, matches.filter((m) => m.rule === r).length]));
const sourceRule = Object.fromEntries(
  ['type+name', 'name'].map((r) => [
    r,
    communes.filter((c, i) => matches[i].rule === 'code' && (c as { code_match?: string }).code_match === r).length,
  ]),
);

const out: CrosswalkFile = {
  description:
    'Crosswalk of the 358 census-2009 communes of former Bắc Giang and Bắc Ninh to the commune codes of 2025-03-01 and the 99 ' +
    'communes and wards of 2025-07-01 (built by scripts/build-crosswalk.ts; see docs/DATA-UNITS.md). Derived: approximate, not legal.',
  sources: [
    'Commune boundaries (2009): censusVN2009 R package © 2017 Marc Choisy, MIT License (https://github.com/choisy/censusVN2009).',
    `Mapping (${mappingFile}): dvhcvn/20250701 © 2025 dvhcvn, MIT License (https://github.com/dvhcvn/20250701).`,
  ],
  rules: counts,
  code_rule_by_source_match: sourceRule,
  communes_2009: communes.map((c, i) => ({
    id: c.id,
    full_name: c.full_name,
    district_code: c.district_code,
    district_name: c.district_name,
    code_2025_03: matches[i].code_2025_03,
    hint_code: matches[i].hint_code,
    rule: matches[i].rule,
    new_code: matches[i].new_code,
  })),
  old_units_without_2009_polygon: mapping.oldUnits
    .filter((o) => !claimed.has(o.code))
    .map((o) => ({ code: o.code, full_name: o.fullName, new_code: o.newCode })),
  units_2025: units,
};
const target = path.join(defaultDataDir, crosswalkFile);
fs.writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
console.log(
  `wrote ${target}: rules ${JSON.stringify(counts)}, ${units.filter((u) => u.approximate).length} of ${units.length} units approximate`,
);
