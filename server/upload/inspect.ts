/**
 * The first pass over a dataset: count features and geometry families, take coordinate samples (for the CRS and
 * axis checks) and raw text samples (for the encoding check), and gather column statistics. Nothing is written.
 */
import type { Position } from 'geojson';
import { eachPosition, isEmptyGeometry, splitByFamily, type Family } from './geometry.ts';
import { observe, type ColumnStats } from './columns.ts';
import { RawText, type SourceDataset } from './types.ts';

/** What the first pass found. */
export interface Inspection {
  features: number;
  /** Features per family (a collection counts once per family it holds). */
  families: Record<Family, number>;
  /** Source geometry types with counts, for the report. */
  geometryTypes: Record<string, number>;
  nullGeometries: number;
  /** Source rows without geometry (the first 20). */
  nullRows: number[];
  collections: number;
  /** Up to 2 000 positions spread over the whole file (reservoir sample; deterministic). */
  samples: Position[];
  /** Up to 400 distinct non-ASCII raw strings. */
  rawText: Uint8Array[];
  columns: Map<string, ColumnStats>;
}

const MAX_SAMPLES = 2000;
const MAX_TEXT = 400;

/** Reads a dataset once; `signal` stops it. Reader errors (bad rows) propagate as UploadError. */
export async function inspectDataset(
  ds: SourceDataset,
  signal: AbortSignal,
  onProgress?: (features: number) => void,
): Promise<Inspection> {
  const out: Inspection = {
    features: 0,
    families: { point: 0, line: 0, polygon: 0 },
    geometryTypes: {},
    nullGeometries: 0,
    nullRows: [],
    collections: 0,
    samples: [],
    rawText: [],
    columns: new Map(),
  };
  const seenText = new Set<string>();
  let seenPositions = 0;
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const typedText = ds.format === 'CSV';
  for await (const f of ds.features()) {
    signal.throwIfAborted();
    out.features++;
    if (out.features % 5000 === 0) onProgress?.(out.features);
    for (const [k, v] of Object.entries(f.properties)) {
      observe(out.columns, k, v, typedText, ds.declaredColumns?.get(k));
      if (v instanceof RawText && out.rawText.length < MAX_TEXT && v.bytes.some((b) => b >= 0x80)) {
        const key = Buffer.from(v.bytes).toString('latin1');
        if (!seenText.has(key)) {
          seenText.add(key);
          out.rawText.push(v.bytes);
        }
      }
    }
    if (!f.geometry || isEmptyGeometry(f.geometry)) {
      out.nullGeometries++;
      if (out.nullRows.length < 20) out.nullRows.push(f.row);
      continue;
    }
    out.geometryTypes[f.geometry.type] = (out.geometryTypes[f.geometry.type] ?? 0) + 1;
    if (f.geometry.type === 'GeometryCollection') out.collections++;
    for (const [family] of splitByFamily(f.geometry)) out.families[family]++;
    eachPosition(f.geometry, (p) => {
      seenPositions++;
      if (out.samples.length < MAX_SAMPLES) out.samples.push([p[0], p[1]]);
      else {
        const j = Math.floor(random() * seenPositions);
        if (j < MAX_SAMPLES) out.samples[j] = [p[0], p[1]];
      }
    });
  }
  if (ds.rawNames) {
    // Field names are written in the table's code page too: they are evidence for the encoding.
    for (const key of out.columns.keys()) {
      const bytes = Buffer.from(key, 'latin1');
      if (bytes.some((b) => b >= 0x80) && out.rawText.length < MAX_TEXT) out.rawText.push(bytes);
    }
  }
  return out;
}
