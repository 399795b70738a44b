/**
 * Old commune codes and names in uploaded files, linked to the units of 1 July 2025. GIS staff files name communes by
 * their code (5-digit GSO code, often stored as a number without its leading zero) or their name, in columns called
 * ma_xa, maxa, ma_dvhc, commune_code, ten_xa, ...; the upload recognises such a column (the report says which), and
 * the staged table gets `commune_code_2025` and `commune_name_2025` from the crosswalk (admin_unit_mapping, and the
 * 2009 communes' links in admin_communes), the uploaded values left as they were. An old unit split between new ones
 * (a `partial` merge), or a name shared by communes of several districts, is settled by the feature's geometry: the
 * candidate holding a point on its surface, else the nearest candidate. Features whose value no mapping knows keep
 * empty codes and are counted, never dropped.
 */
import type { CommuneColumn, CommuneLink } from '../wire/upload.ts';
import type { Knex } from 'knex';
import { quoteIdent } from '../sql/identifiers.ts';
import { normalizeSearchText } from '../text/normalize.ts';

// The shapes of the job report (server/wire/upload.ts), which the upload page reads too.
export type { CommuneColumn, CommuneLink } from '../wire/upload.ts';

/** Column names (after safeColumnName: lower-case ASCII, `_`) that hold a commune code, most specific first. */
const codeColumn =
  /^(ma_?xa(_?phuong)?|ma_?px|ma_?phuong|ma_?dvhc(_?xa)?|ma_?don_?vi|commune_?(code|id)|xa_?code|code_?xa|ma_?xa_?\d{4})$/;
/** Column names that hold a commune name. */
const nameColumn =
  /^(ten_?xa(_?phuong)?|ten_?px|ten_?phuong|ten_?dvhc|ten_?don_?vi|xa(_?phuong)?|commune(_?name)?|ten_?xa_?\d{4})$/;

/** The column the file names its old communes by (a code column before a name column), or null. */
export function recogniseCommuneColumn(columns: readonly { name: string; label: string; type: string }[]): CommuneColumn | null {
  // A file that already carries today's codes is left alone: nothing of it would be overwritten.
  if (columns.some((c) => c.name === 'commune_code_2025' || c.name === 'commune_name_2025')) return null;
  const code = columns.find((c) => codeColumn.test(c.name) && (c.type === 'integer' || c.type === 'string'));
  if (code) return { column: code.name, label: code.label, kind: 'code' };
  const name = columns.find((c) => nameColumn.test(c.name) && c.type === 'string');
  return name ? { column: name.name, label: name.label, kind: 'name' } : null;
}

/** '7213', '07213', ' 7213.0 ' -> '07213'; anything that is not a commune code -> null. */
export function communeCodeKey(value: string): string | null {
  const m = /^\s*0*(\d{1,5})(\.0+)?\s*$/.exec(value);
  return m ? m[1].padStart(5, '0') : null;
}

/** 'Xã Tân Dĩnh', 'tan dinh', 'P. Tân Dĩnh' -> 'tan dinh': the name without its type word, folded. */
export function communeNameKey(value: string): string {
  return normalizeSearchText(value)
    .replace(/^(xa|phuong|thi tran)\s+|^(p|tt|x)\.\s*/, '')
    .trim();
}

/** Adds commune_code_2025 and commune_name_2025 to a staged table and fills them from `col`; returns the counts. */
export async function linkCommuneCodes(trx: Knex.Transaction, table: string, col: CommuneColumn): Promise<CommuneLink> {
  const t = quoteIdent(table);
  const c = quoteIdent(col.column);
  const candidates = await candidateCodes(trx, col.kind);
  const values = (await trx.raw(`SELECT DISTINCT ${c}::text AS v FROM ${t} WHERE ${c} IS NOT NULL`)).rows as Array<{
    v: string;
  }>;
  const keyOf = col.kind === 'code' ? communeCodeKey : communeNameKey;
  const known: string[] = [];
  const codes: string[] = [];
  const unknown: string[] = [];
  for (const { v } of values) {
    const key = keyOf(v);
    const found = key === null ? undefined : candidates.get(key);
    if (found?.size) {
      known.push(v);
      codes.push([...found].join(','));
    } else unknown.push(v);
  }
  await trx.raw(`ALTER TABLE ${t} ADD COLUMN commune_code_2025 text, ADD COLUMN commune_name_2025 text`);
  if (known.length) {
    await trx.raw(
      `UPDATE ${t} r SET (commune_code_2025, commune_name_2025) = (
         SELECT u.code, u.name FROM admin_communes_2025 u WHERE u.code = ANY (string_to_array(m.codes, ','))
          ORDER BY (u.geom && r.geom AND ST_Intersects(u.geom, ST_PointOnSurface(r.geom))) DESC,
                   ST_Distance(u.geom, ST_PointOnSurface(r.geom)), u.code
          LIMIT 1)
         FROM unnest(?::text[], ?::text[]) AS m(v, codes)
        WHERE ${c}::text = m.v`,
      [known, codes],
    );
  }
  const [n] = (
    await trx.raw(
      `SELECT count(*) FILTER (WHERE commune_code_2025 IS NOT NULL)::int AS linked,
              count(*) FILTER (WHERE commune_code_2025 IS NULL AND ${c} IS NOT NULL)::int AS unmapped,
              count(*) FILTER (WHERE ${c} IS NULL)::int AS empty
         FROM ${t}`,
    )
  ).rows as Array<{ linked: number; unmapped: number; empty: number }>;
  return { ...col, ...n, unmappedValues: unknown.slice(0, 10) };
}

/** Old code (or folded name) -> the codes of the units of 2025-07-01 it went into. */
async function candidateCodes(trx: Knex.Transaction, kind: CommuneColumn['kind']): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const add = (key: string | null, code: string | null) => {
    if (!key || !code) return;
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    s.add(code);
  };
  const mapping = (await trx.raw('SELECT old_code, old_full_name, new_code FROM admin_unit_mapping')).rows as Array<{
    old_code: string;
    old_full_name: string;
    new_code: string;
  }>;
  // 2009 communes: their 2025-03 code where they kept one, and the unit of 2025-07 that holds most of them.
  const communes = (await trx.raw('SELECT code, full_name, now_code FROM admin_communes WHERE now_code IS NOT NULL'))
    .rows as Array<{ code: string | null; full_name: string; now_code: string }>;
  for (const m of mapping) add(kind === 'code' ? m.old_code : communeNameKey(m.old_full_name), m.new_code);
  for (const c of communes) add(kind === 'code' ? c.code : communeNameKey(c.full_name), c.now_code);
  return out;
}
