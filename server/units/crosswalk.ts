/**
 * Crosswalk look-ups between the units before and after 1 July 2025, over the tables the seed fills from the shipped
 * crosswalk (admin_unit_mapping, admin_communes_2025, admin_communes.now_code): an old code (2025-03-01) or a 2009
 * commune -> the new unit(s) with the share of its area; a new code (2025-07-01) -> the old units it came from.
 * Codes of the two vintages overlap (07210 is Phường Hoàng Văn Thụ before and Phường Bắc Giang after), so one code
 * can answer both ways: every reading that exists is returned.
 */
import type { Database } from '../db/database.ts';
import { InvalidParameterError, NotFoundError } from '../errors.ts';
import { normalizeSearchText } from '../text/normalize.ts';

/** A new unit an old one went into. `share` is the part of the old area inside it (0-1), null where not known. */
export interface NowUnit {
  code: string;
  full_name: string;
  /** From the official mapping: the old unit went in whole (`full`) or in part (`partial`). */
  kind: 'full' | 'partial';
  share: number | null;
  /** How `share` was found: `mapping` (a full merge is all of it) or `area` (2009 polygon inside the drawn unit). */
  share_from: 'mapping' | 'area' | null;
  approximate: boolean;
}

/** A 2009 commune in an answer. */
export interface Commune2009Ref {
  id: number;
  full_name: string;
  district_name: string;
  /** Its 2025-03-01 code where the crosswalk found one. */
  code: string | null;
  /** The crosswalk rule that linked it (code, name+type, name, name part, neighbour). */
  rule: string | null;
}

/** One reading of the query: an old unit of 2025-03-01, a 2009 commune, or a new unit of 2025-07-01. */
export type CrosswalkMatch =
  | { role: 'old'; vintage: '2025-03-01'; code: string; full_name: string; now: NowUnit[]; communes_2009: Commune2009Ref[] }
  | ({ role: 'old'; vintage: '2009'; now: NowUnit[] } & Commune2009Ref)
  | {
      role: 'new';
      vintage: '2025-07-01';
      code: string;
      full_name: string;
      type: string;
      approximate: boolean;
      method: string;
      from: Array<{ code: string; full_name: string; kind: 'full' | 'partial' }>;
      communes_2009: Commune2009Ref[];
    };

/** The answer to one crosswalk query. */
export interface CrosswalkAnswer {
  query: { code: string } | { name: string };
  matches: CrosswalkMatch[];
}

interface MappingRow {
  old_code: string;
  old_full_name: string;
  new_code: string;
  new_full_name: string;
  kind: 'full' | 'partial';
  approximate: boolean;
}

interface CommuneRow extends Commune2009Ref {
  now_code: string | null;
}

interface NewUnitRow {
  code: string;
  full_name: string;
  type: string;
  approximate: boolean;
  method: string;
}

/** Commune codes are 5 digits (GSO); province codes are not looked up here. */
const codePattern = /^\d{5}$/;

/** Longest name accepted (the longest Vietnamese commune name is far shorter). */
const maxNameLength = 100;

/** "xa tan dinh" -> "tan dinh": the type words of a full name, folded. */
const typePrefix = /^(xa|phuong|thi tran) /;

const mappingSql = `SELECT m.old_code, m.old_full_name, m.new_code, m.new_full_name, m.kind, u.approximate
  FROM admin_unit_mapping m JOIN admin_communes_2025 u ON u.code = m.new_code`;
const communeSql = `SELECT id, full_name, district_name, code, match_rule AS rule, now_code FROM admin_communes`;
const newUnitSql = 'SELECT code, full_name, type, approximate, method FROM admin_communes_2025';

/** Looks units up both ways. */
export class CrosswalkService {
  constructor(private readonly db: Database) {}

  /** Every reading of a commune code: old (2025-03-01) and/or new (2025-07-01). */
  async byCode(code: string): Promise<CrosswalkAnswer> {
    if (!codePattern.test(code)) {
      throw new InvalidParameterError(
        `parameter "code": ${JSON.stringify(code.slice(0, 32))} is not a 5-digit commune code`,
        'code',
      );
    }
    const [old, communes, units] = await Promise.all([
      this.db.rows<MappingRow>(`${mappingSql} WHERE m.old_code = ? ORDER BY m.new_code`, [code]),
      this.db.rows<CommuneRow>(`${communeSql} WHERE code = ? ORDER BY id`, [code]),
      this.db.rows<NewUnitRow>(`${newUnitSql} WHERE code = ?`, [code]),
    ]);
    const matches: CrosswalkMatch[] = [];
    if (old.length) matches.push(oldUnit(old, communes));
    for (const u of units) matches.push(await this.newUnit(u));
    if (!matches.length) throw new NotFoundError(`no commune or ward has code ${code} (codes of 2025-03-01 or of 2025-07-01)`);
    return { query: { code }, matches };
  }

  /** Every unit of any vintage whose name or full name is `name`, diacritics and case ignored. */
  async byName(name: string): Promise<CrosswalkAnswer> {
    const key = normalizeSearchText(name);
    if (!key || name.length > maxNameLength) {
      throw new InvalidParameterError(`parameter "name": give a unit name of 1 to ${maxNameLength} characters`, 'name');
    }
    const bare = key.replace(typePrefix, '');
    const fits = (fullName: string) => {
      const k = normalizeSearchText(fullName);
      return k === key || k.replace(typePrefix, '') === bare;
    };
    const [mapping, communes, units] = await Promise.all([
      this.db.rows<MappingRow>(`${mappingSql} ORDER BY m.old_code, m.new_code`),
      this.db.rows<CommuneRow>(`${communeSql} WHERE name_search = ? ORDER BY id`, [bare]),
      this.db.rows<NewUnitRow>(`${newUnitSql} WHERE name_search = ? ORDER BY code`, [bare]),
    ]);
    const matches: CrosswalkMatch[] = [];
    const oldCodes = [...new Set(mapping.filter((m) => fits(m.old_full_name)).map((m) => m.old_code))];
    for (const code of oldCodes) {
      const linked = await this.db.rows<CommuneRow>(`${communeSql} WHERE code = ? ORDER BY id`, [code]);
      matches.push(
        oldUnit(
          mapping.filter((m) => m.old_code === code),
          linked,
        ),
      );
    }
    for (const c of communes.filter((c) => fits(c.full_name))) matches.push(await this.commune(c));
    for (const u of units.filter((u) => fits(u.full_name))) matches.push(await this.newUnit(u));
    if (!matches.length) throw new NotFoundError(`no commune or ward of any vintage is named ${JSON.stringify(name)}`);
    return { query: { name }, matches };
  }

  /** A 2009 commune: the new units its polygon lies in, with the share of its area inside each. */
  private async commune(c: CommuneRow): Promise<CrosswalkMatch> {
    const now = await this.db.rows<{ code: string; full_name: string; share: number; approximate: boolean }>(
      `SELECT u.code, u.full_name, u.approximate,
         round((ST_Area(ST_Intersection(c.geom, u.geom)::geography) / ST_Area(c.geom::geography))::numeric, 4)::float8 AS share
       FROM admin_communes c JOIN admin_communes_2025 u ON u.geom && c.geom AND ST_Intersects(u.geom, c.geom)
       WHERE c.id = ? ORDER BY share DESC, u.code`,
      [c.id],
    );
    // Shares below 0.1 % are the touch of a common border, not a part of the commune.
    const inside = now.filter((n) => n.share >= 0.001);
    return {
      role: 'old',
      vintage: '2009',
      ...communeRef(c),
      now: inside.map((n) => ({
        code: n.code,
        full_name: n.full_name,
        kind: n.share >= 0.999 ? 'full' : 'partial',
        share: n.share,
        share_from: 'area',
        approximate: n.approximate || !['code', 'name+type', 'name'].includes(c.rule ?? ''),
      })),
    };
  }

  /** A new unit: the old units of the mapping and the 2009 communes it was drawn from. */
  private async newUnit(u: NewUnitRow): Promise<CrosswalkMatch> {
    const [from, communes] = await Promise.all([
      this.db.rows<MappingRow>(`${mappingSql} WHERE m.new_code = ? ORDER BY m.old_code`, [u.code]),
      this.db.rows<CommuneRow>(`${communeSql} WHERE now_code = ? ORDER BY id`, [u.code]),
    ]);
    return {
      role: 'new',
      vintage: '2025-07-01',
      code: u.code,
      full_name: u.full_name,
      type: u.type,
      approximate: u.approximate,
      method: u.method,
      from: from.map((m) => ({ code: m.old_code, full_name: m.old_full_name, kind: m.kind })),
      communes_2009: communes.map(communeRef),
    };
  }
}

function communeRef(c: CommuneRow): Commune2009Ref {
  return { id: c.id, full_name: c.full_name, district_name: c.district_name, code: c.code, rule: c.rule };
}

/** An old unit of 2025-03-01 from its mapping rows: a full merge is all of it; a partial one has no known share. */
function oldUnit(rows: MappingRow[], communes: CommuneRow[]): CrosswalkMatch {
  return {
    role: 'old',
    vintage: '2025-03-01',
    code: rows[0].old_code,
    full_name: rows[0].old_full_name,
    now: rows.map((m) => ({
      code: m.new_code,
      full_name: m.new_full_name,
      kind: m.kind,
      share: m.kind === 'full' ? 1 : null,
      share_from: m.kind === 'full' ? 'mapping' : null,
      approximate: m.approximate,
    })),
    communes_2009: communes.map(communeRef),
  };
}
