/**
 * Today's units (from 2025-07-01) drawn from the 2009 communes with the shipped crosswalk
 * (layers/data/bac_ninh_crosswalk_2025.json, built by scripts/build-crosswalk.ts): each new commune or ward is the
 * dissolve of the 2009 communes assigned to it, and the official mapping goes to `admin_unit_mapping`. Runs after
 * seedAdmin (which wrote the unit of today of every 2009 commune), in the seed transaction.
 */
import { loadCrosswalk } from '../units/crosswalk-file.ts';
import { loadMapping } from '../units/mapping.ts';
import { newUnitsValidFrom, newUnitsVintage } from './admin.ts';
import type { Sql } from './sql.ts';

/** Fills admin_communes_2025 and admin_unit_mapping (seedAdmin wrote the 2009 communes' links). */
export async function seedUnits(sql: Sql, dataDir: string): Promise<void> {
  const crosswalk = loadCrosswalk(dataDir);
  const mapping = loadMapping(dataDir);
  const units = crosswalk.units_2025.map((u, i) => ({
    ...u,
    id: i + 1,
    old_codes: u.old_codes.join(','),
    communes: u.communes_2009,
  }));

  await sql(
    `INSERT INTO admin_communes_2025 (id, code, name, full_name, type, province_code, province_name, old_codes, approximate,
       method, vintage, valid_from, geom)
     SELECT u.id, u.code, u.name, u.full_name, u.type, '24', 'Bắc Ninh', u.old_codes, u.approximate, u.method, ?::text, ?::date,
       ST_Multi(ST_CollectionExtract(ST_Union(c.geom), 3))
     FROM jsonb_to_recordset(?::jsonb) AS u(id int, code text, name text, full_name text, type text, old_codes text,
       approximate boolean, method text, communes int[])
     JOIN admin_communes c ON c.id = ANY(u.communes)
     GROUP BY u.id, u.code, u.name, u.full_name, u.type, u.old_codes, u.approximate, u.method`,
    [newUnitsVintage, newUnitsValidFrom, JSON.stringify(units)],
  );
  await sql('DELETE FROM admin_unit_mapping');
  const pairs = mapping.oldUnits.flatMap((o) =>
    o.splits.map((s) => ({
      old_code: o.code,
      old_full_name: o.fullName,
      new_code: s.code,
      new_full_name: s.fullName,
      kind: s.kind,
    })),
  );
  await sql(
    `INSERT INTO admin_unit_mapping (old_code, old_full_name, new_code, new_full_name, kind)
     SELECT old_code, old_full_name, new_code, new_full_name, kind
     FROM jsonb_to_recordset(?::jsonb) AS m(old_code text, old_full_name text, new_code text, new_full_name text, kind text)`,
    [JSON.stringify(pairs)],
  );
}
