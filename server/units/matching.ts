/**
 * The crosswalk 2009 -> 2025-03 -> 2025-07 as pure functions: which unit of the official mapping (codes of
 * 2025-03-01) each 2009 commune is, and which new unit (2025-07-01) each is drawn into. Rules, in order:
 * `code` (the GSO code the source file carries), `name+type`, `name` (an unclaimed 2025-03 unit of the same
 * province with the same full name / name), `name part` (an unclaimed 2025-03 unit of the same district whose
 * name starts with the same syllable), then `neighbour` (the new unit of the bordering communes). Deterministic:
 * ties go to the lower code. Run by scripts/build-crosswalk.ts; the result is shipped in layers/data/.
 */
import { normalizeSearchText } from '../text/normalize.ts';

/** The crosswalk rules, in the order they are tried. */
export const matchRules = ['code', 'name+type', 'name', 'name part', 'neighbour'] as const;
/** One crosswalk rule. */
export type MatchRule = (typeof matchRules)[number];

/** A 2009 commune as the matcher needs it (`id` is its 1-based position in the source files, the seed's id). */
export interface Commune2009 {
  id: number;
  name: string;
  full_name: string;
  type: string | null;
  code: string | null;
  district_code: string;
  province_code: string;
}

/**
 * One old unit of the mapping (2025-03-01 code) and the new unit (2025-07-01 code) it is drawn into: the one it
 * went into whole, else (split between several, `partial`) the lowest code, since the mapping gives no shares.
 */
export interface MappedOldUnit {
  code: string;
  fullName: string;
  newCode: string;
  /** Every new unit that received part or all of it. */
  splits: Array<{ code: string; fullName: string; kind: 'full' | 'partial' }>;
}

/** A new unit of the mapping and the old units it was made of. */
export interface MappedNewUnit {
  code: string;
  fullName: string;
  merges: Array<{ code: string; fullName: string; kind: 'full' | 'partial' }>;
}

/** Shared border of two 2009 communes (any positive measure; larger = longer border). */
export interface Neighbour {
  a: number;
  b: number;
  weight: number;
}

/** How one 2009 commune was linked. */
export interface CommuneMatch {
  id: number;
  /** The 2025-03-01 code this commune is (rules code, name+type, name); null otherwise. */
  code_2025_03: string | null;
  /** The unclaimed 2025-03-01 unit whose name it shares a first syllable with (rule name part). */
  hint_code: string | null;
  rule: MatchRule;
  /** The new unit (2025-07-01 code) the commune is drawn into, wholly. */
  new_code: string;
}

/** Unit types that prefix a full name ("Thị trấn Neo" -> "Neo"). */
const unitTypes = ['Thị trấn', 'Phường', 'Xã'];

/** "Xã Tân Dĩnh" -> "Tân Dĩnh". */
export function bareName(fullName: string): string {
  const t = unitTypes.find((u) => fullName.startsWith(`${u} `));
  return t ? fullName.slice(t.length + 1) : fullName;
}

/** "Xã Tân Dĩnh" -> "Xã"; null for a name without a known type. */
export function typeOf(fullName: string): string | null {
  return unitTypes.find((u) => fullName.startsWith(`${u} `)) ?? null;
}

/** The comparison key of a name: no diacritics, no case. */
function key(s: string): string {
  return normalizeSearchText(s);
}

/**
 * Where a 2025-03 code lies in the GSO list: GSO codes run district by district, so the districts (and provinces)
 * of the matched codes just below and just above it bracket it.
 */
function bracketOf(code: string, matched: Array<{ code: string; district: string; province: string }>) {
  const below = [...matched].reverse().find((m) => m.code < code);
  const above = matched.find((m) => m.code > code);
  const near = [below, above].filter((m): m is NonNullable<typeof m> => m !== undefined);
  return { districts: new Set(near.map((m) => m.district)), provinces: new Set(near.map((m) => m.province)) };
}

/** Links every 2009 commune to a 2025-03 unit where it can, and to exactly one new unit for drawing. */
export function matchCommunes(communes: Commune2009[], oldUnits: MappedOldUnit[], neighbours: Neighbour[]): CommuneMatch[] {
  const byOldCode = new Map(oldUnits.map((u) => [u.code, u]));
  const result = new Map<number, CommuneMatch>();
  const claimed = new Set<string>();
  const link = (c: Commune2009, code: string, rule: MatchRule) => {
    result.set(c.id, { id: c.id, code_2025_03: code, hint_code: null, rule, new_code: byOldCode.get(code)!.newCode });
    claimed.add(code);
  };
  for (const c of communes) if (c.code && byOldCode.has(c.code) && !claimed.has(c.code)) link(c, c.code, 'code');

  const matched = communes
    .filter((c) => result.has(c.id))
    .map((c) => ({ code: result.get(c.id)!.code_2025_03!, district: c.district_code, province: c.province_code }))
    .sort((a, b) => a.code.localeCompare(b.code));
  const bracket = new Map(oldUnits.map((u) => [u.code, bracketOf(u.code, matched)]));

  // Names: a unique unclaimed unit of the same province, and the commune the only one of that name asking for it.
  const byName = (rule: MatchRule, nameOf: (full: string) => string) => {
    const open = communes.filter((c) => !result.has(c.id) && c.type !== null);
    const candidates = (c: Commune2009) =>
      oldUnits.filter(
        (u) =>
          !claimed.has(u.code) &&
          bracket.get(u.code)!.provinces.has(c.province_code) &&
          key(nameOf(u.fullName)) === key(nameOf(c.full_name)),
      );
    const wanted = new Map<string, number>();
    for (const c of open) for (const u of candidates(c)) wanted.set(u.code, (wanted.get(u.code) ?? 0) + 1);
    for (const c of open) {
      const found = candidates(c);
      if (found.length === 1 && wanted.get(found[0].code) === 1) link(c, found[0].code, rule);
    }
  };
  byName('name+type', (s) => s);
  byName('name', bareName);

  // Name part: the units merged before 2025 often kept a syllable of their members' names (Lam Cốt -> Lam Sơn).
  for (const c of communes) {
    if (result.has(c.id) || c.type === null) continue;
    const first = key(c.name).split(' ')[0];
    const found = oldUnits.filter(
      (u) =>
        !claimed.has(u.code) &&
        bracket.get(u.code)!.districts.has(c.district_code) &&
        key(bareName(u.fullName)).split(' ')[0] === first,
    );
    if (found.length && new Set(found.map((u) => u.newCode)).size === 1) {
      result.set(c.id, { id: c.id, code_2025_03: null, hint_code: found[0].code, rule: 'name part', new_code: found[0].newCode });
    }
  }

  assignByNeighbours(communes, oldUnits, neighbours, claimed, result);
  return communes.map((c) => result.get(c.id)!);
}

/**
 * The rest go with their neighbours, in rounds (each round sees the links of the one before, so the order of
 * the communes does not matter): to the new unit of the bordering communes with the longest common border,
 * preferring a unit that has a 2025-03 member with no 2009 polygon (territory known to be missing).
 */
function assignByNeighbours(
  communes: Commune2009[],
  oldUnits: MappedOldUnit[],
  neighbours: Neighbour[],
  claimed: Set<string>,
  result: Map<number, CommuneMatch>,
): void {
  const missing = new Set(oldUnits.filter((u) => !claimed.has(u.code)).map((u) => u.newCode));
  const around = new Map<number, Array<{ id: number; weight: number }>>();
  for (const n of neighbours) {
    around.set(n.a, [...(around.get(n.a) ?? []), { id: n.b, weight: n.weight }]);
    around.set(n.b, [...(around.get(n.b) ?? []), { id: n.a, weight: n.weight }]);
  }
  let open = communes.filter((c) => !result.has(c.id));
  while (open.length) {
    const round = new Map<number, string>();
    for (const c of open) {
      const weights = new Map<string, number>();
      for (const n of around.get(c.id) ?? []) {
        const unit = result.get(n.id)?.new_code;
        if (unit) weights.set(unit, (weights.get(unit) ?? 0) + n.weight);
      }
      const ranked = [...weights].sort(
        (a, b) => Number(missing.has(b[0])) - Number(missing.has(a[0])) || b[1] - a[1] || a[0].localeCompare(b[0]),
      );
      if (ranked.length) round.set(c.id, ranked[0][0]);
    }
    if (!round.size) throw new Error(`communes ${open.map((c) => c.full_name).join(', ')} border no linked commune`);
    for (const [id, code] of round)
      result.set(id, { id, code_2025_03: null, hint_code: null, rule: 'neighbour', new_code: code });
    open = open.filter((c) => !result.has(c.id));
  }
}

/** A new unit (2025-07-01) as it is drawn from the 2009 communes. */
export interface UnitPlan {
  code: string;
  name: string;
  full_name: string;
  type: string;
  /** Its old units (2025-03-01 codes), from the mapping. */
  old_codes: string[];
  /** The 2009 communes drawn into it (seed ids). */
  communes_2009: number[];
  /** True unless it is the dissolve of 2009 communes that are exactly its old units, all merged whole. */
  approximate: boolean;
  /** How the boundary was drawn, in words. */
  method: string;
}

/** The drawing plan of every new unit; throws if one of them would get no 2009 commune at all. */
export function planUnits(newUnits: MappedNewUnit[], oldUnits: MappedOldUnit[], matches: CommuneMatch[]): UnitPlan[] {
  const claimed = new Set(matches.map((m) => m.code_2025_03).filter((c): c is string => c !== null));
  const split = new Set(
    oldUnits.filter((o) => o.splits.length > 1 || o.splits.some((s) => s.kind === 'partial')).map((o) => o.code),
  );
  return newUnits.map((n) => {
    const drawn = matches.filter((m) => m.new_code === n.code);
    if (!drawn.length) throw new Error(`new unit ${n.code} ${n.fullName}: no 2009 commune could be assigned to it`);
    const guessed = drawn.filter((m) => m.code_2025_03 === null).length;
    const missing = n.merges.filter((m) => !claimed.has(m.code)).length;
    const partial = n.merges.filter((m) => split.has(m.code)).length;
    const approximate = guessed + missing + partial > 0;
    const reasons = [
      guessed && `${guessed} of its 2009 communes linked by name part or neighbour, not by code or name`,
      missing && `${missing} of its old units have no 2009 polygon of their own`,
      partial && `${partial} of its old units were split between new units (partial)`,
    ].filter(Boolean);
    const method = approximate
      ? `Approximate, not legal: the 2009 communes assigned wholly to this unit, dissolved (${reasons.join('; ')}).`
      : 'Dissolve of the 2009 communes that are its old units, all merged whole (2009 boundaries thinned to about 150 m; not legal).';
    return {
      code: n.code,
      name: bareName(n.fullName),
      full_name: n.fullName,
      type: typeOf(n.fullName) ?? '',
      old_codes: n.merges.map((m) => m.code),
      communes_2009: drawn.map((m) => m.id),
      approximate,
      method,
    };
  });
}
