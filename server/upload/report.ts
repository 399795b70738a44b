/**
 * What a job reports about its datasets before anything is written: the layer ids they become (one per geometry
 * family), what the uploader must confirm, and every fix and warning found while reading. Pure functions.
 */
import type { SourceDataset } from './types.ts';
import type { Inspection } from './inspect.ts';
import type { CrsDecision } from './crs-decision.ts';
import type { EncodingDecision } from './text.ts';
import type { ColumnPlan } from './columns.ts';
import type { DatasetReport, JobReport } from './jobs.ts';
import { checkLayerId } from './options.ts';
import { recogniseCommuneColumn } from '../units/old-codes.ts';
import { familyType, type Family } from './geometry.ts';

/** One dataset of a job with everything decided about it. */
export interface WorkItem {
  dataset: SourceDataset;
  inspection: Inspection;
  crs: CrsDecision;
  encoding: EncodingDecision;
  columns: ColumnPlan[];
  /** Layer id per geometry family present. */
  layers: Map<Family, string>;
}

const familySuffix: Record<Family, string> = { point: 'points', line: 'lines', polygon: 'polygons' };

/**
 * Gives each dataset and family its layer id: one dataset keeps `base`; several get `base_<dataset>`. Within a
 * dataset the family with most features keeps the id and the others get `_points`, `_lines`, `_polygons`.
 */
export function assignLayerIds(items: readonly WorkItem[], base: string): void {
  const many = items.length > 1;
  for (const item of items) {
    const id = many
      ? `${base}_${item.dataset.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .replace(/^_+|_+$/g, '')}`
      : base;
    const fams = (Object.keys(item.inspection.families) as Family[]).filter((f) => item.inspection.families[f] > 0);
    fams.sort((a, b) => item.inspection.families[b] - item.inspection.families[a]);
    fams.forEach((f, i) => item.layers.set(f, checkLayerId(i === 0 ? id.slice(0, 50) : `${id.slice(0, 41)}_${familySuffix[f]}`)));
  }
}

/** What the uploader must confirm, or null when every CRS and encoding is settled. */
export function confirmationOf(items: readonly WorkItem[]): JobReport['confirmation'] {
  const reasons = items
    .flatMap((i) => [i.crs.reason, i.encoding.status === 'needs_confirmation' ? i.encoding.reason : null])
    .filter((r): r is string => !!r);
  if (reasons.length === 0) return null;
  return {
    crs: items.some((i) => i.crs.status === 'needs_confirmation'),
    encoding: items.some((i) => i.encoding.status === 'needs_confirmation'),
    reasons,
  };
}

/** The dataset reports, fixes, warnings and counts of the reading pass. */
export function describeItems(items: readonly WorkItem[]): {
  datasets: DatasetReport[];
  fixes: string[];
  warnings: string[];
  read: number;
  nullGeometries: number;
} {
  const datasets: DatasetReport[] = items.map((i) => ({
    name: i.dataset.name,
    format: i.dataset.format,
    layerId: [...i.layers.values()][0],
    features: i.inspection.features,
    geometryTypes: i.inspection.geometryTypes,
    crs: i.crs,
    encoding: i.encoding,
    columns: i.columns,
    communeColumn: recogniseCommuneColumn(i.columns),
  }));
  const fixes: string[] = [];
  const warnings: string[] = [];
  for (const i of items) {
    const name = i.dataset.name;
    fixes.push(...i.dataset.notes.map((n) => `${name}: ${n}`), ...i.crs.notes.map((n) => `${name}: ${n}`));
    if (i.encoding.status !== 'not_needed') fixes.push(...i.encoding.notes.map((n) => `${name}: ${n}`));
    if (i.crs.swapAxes)
      warnings.push(`${name}: X and Y are swapped in the file (northing first); they were read the other way round`);
    const commune = recogniseCommuneColumn(i.columns);
    if (commune)
      fixes.push(
        `${name}: column "${commune.label}" read as old commune ${commune.kind}s; the layer gets commune_code_2025 and commune_name_2025 (units of 1 July 2025) from the crosswalk, the column itself unchanged`,
      );
    for (const c of i.columns)
      if (c.name !== c.label)
        fixes.push(`${name}: column "${c.label}" stored as ${c.name} (its original name is kept as the label)`);
    const nulls = i.inspection;
    if (nulls.nullGeometries) {
      warnings.push(
        `${name}: ${nulls.nullGeometries} features have no geometry and are left out (rows ${nulls.nullRows.join(', ')}${nulls.nullGeometries > nulls.nullRows.length ? ', …' : ''})`,
      );
    }
    if (i.layers.size > 1)
      fixes.push(
        `${name}: mixed geometry types split into layers ${[...i.layers].map(([f, id]) => `${id} (${familyType[f]})`).join(', ')}`,
      );
    if (i.inspection.collections) fixes.push(`${name}: ${i.inspection.collections} geometry collections split by geometry type`);
  }
  return {
    datasets,
    fixes,
    warnings,
    read: items.reduce((n, i) => n + i.inspection.features, 0),
    nullGeometries: items.reduce((n, i) => n + i.inspection.nullGeometries, 0),
  };
}
