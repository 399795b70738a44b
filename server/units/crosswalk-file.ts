/** The shape of layers/data/bac_ninh_crosswalk_2025.json, written by scripts/build-crosswalk.ts, read by the seed. */
import fs from 'node:fs';
import path from 'node:path';
import type { MatchRule, UnitPlan } from './matching.ts';

/** The crosswalk file in layers/data/. */
export const crosswalkFile = 'bac_ninh_crosswalk_2025.json';

/** One 2009 commune and how it was linked. */
export interface CrosswalkCommune {
  id: number;
  full_name: string;
  district_code: string;
  district_name: string;
  code_2025_03: string | null;
  hint_code: string | null;
  rule: MatchRule;
  new_code: string;
}

/** The whole file. */
export interface CrosswalkFile {
  description: string;
  sources: string[];
  /** How many 2009 communes each rule linked. */
  rules: Record<string, number>;
  /** Of the `code` links, how the source file had matched the code (by type and name, or by name alone). */
  code_rule_by_source_match: Record<string, number>;
  communes_2009: CrosswalkCommune[];
  /** Old units (2025-03-01) no 2009 commune was linked to by code or name. */
  old_units_without_2009_polygon: Array<{ code: string; full_name: string; new_code: string }>;
  units_2025: UnitPlan[];
}

/** Reads the crosswalk from `dataDir` (layers/data). */
export function loadCrosswalk(dataDir: string): CrosswalkFile {
  return JSON.parse(fs.readFileSync(path.join(dataDir, crosswalkFile), 'utf8')) as CrosswalkFile;
}
