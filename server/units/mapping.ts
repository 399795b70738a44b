/**
 * The official old -> new mapping of the 1 July 2025 reorganisation (dvhcvn/20250701, MIT; a copy in layers/data/):
 * old communes by their code of 2025-03-01, new ones by their code of 2025-07-01, each merge `full` or `partial`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MappedNewUnit, MappedOldUnit } from './matching.ts';

/** The mapping file shipped in layers/data/. */
export const mappingFile = 'bac_ninh_2025_mapping.json';

interface MappingFile {
  new_to_old: Array<{
    level2s: Array<{ level2_id: string; name: string; merges: Array<{ old_id: string; name: string; type: string }> }>;
  }>;
}

/** Both directions of the mapping: the 99 new units with their members, and the 316 old units. */
export interface Mapping {
  newUnits: MappedNewUnit[];
  oldUnits: MappedOldUnit[];
}

/** Builds both directions from the new -> old lists (the only side that carries `full`/`partial`). */
export function parseMapping(file: MappingFile): Mapping {
  const newUnits: MappedNewUnit[] = file.new_to_old
    .flatMap((p) => p.level2s)
    .map((n) => ({
      code: n.level2_id,
      fullName: n.name,
      merges: n.merges.map((m) => {
        if (m.type !== 'full' && m.type !== 'partial')
          throw new Error(`mapping: merge type "${m.type}" of ${m.old_id} is not full or partial`);
        return { code: m.old_id, fullName: m.name, kind: m.type as 'full' | 'partial' };
      }),
    }))
    .sort((a, b) => a.code.localeCompare(b.code));
  const old = new Map<string, MappedOldUnit>();
  for (const n of newUnits) {
    for (const m of n.merges) {
      const o = old.get(m.code) ?? { code: m.code, fullName: m.fullName, newCode: n.code, splits: [] };
      o.splits.push({ code: n.code, fullName: n.fullName, kind: m.kind });
      old.set(m.code, o);
    }
  }
  for (const o of old.values()) o.newCode = (o.splits.find((s) => s.kind === 'full') ?? o.splits[0]).code;
  return { newUnits, oldUnits: [...old.values()].sort((a, b) => a.code.localeCompare(b.code)) };
}

/** Reads the mapping from `dataDir` (layers/data). */
export function loadMapping(dataDir: string): Mapping {
  return parseMapping(JSON.parse(fs.readFileSync(path.join(dataDir, mappingFile), 'utf8')) as MappingFile);
}
