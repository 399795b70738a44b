/**
 * /search: places, administrative units and other named features, and layer titles, found by name without regard
 * to diacritics, case or spacing ("bac giang" = "Bắc Giang" = "BAC  GIANG"). Ranked: whole name, then name prefix,
 * then word prefix, then anywhere; within a rank larger features first (the province before the district and the
 * town of the same name), then by layer (base map first) and shorter names. Each result has a bbox (EPSG:4326).
 */
import type { Catalog, Layer, Principal } from '../catalog/catalog.ts';
import type { Database } from '../db/database.ts';
import { queryRows } from '../db/rows.ts';
import { normalizeSearchText } from '../text/normalize.ts';
import { SearchIndexBuilder } from './index-builder.ts';

/** One search hit. */
export interface SearchResult {
  type: 'feature' | 'layer';
  /** 'layer' for a layer title; for a feature, the group of its layer (basemap, landuse, industry, telecom, other). */
  kind: string;
  layer: string;
  layerTitle: string;
  id?: number;
  name: string;
  fullName?: string | null;
  /** [minx, miny, maxx, maxy], EPSG:4326 lon/lat. */
  bbox: [number, number, number, number];
  /** 0 = whole name, 1 = name starts with the query, 2 = a word starts with it, 3 = elsewhere. */
  rank: number;
  /** For a unit of before 1 July 2025: the commune or ward of today it lies in (see docs/DATA-UNITS.md). */
  now_in?: { code: string; name: string };
}

/** Words of a query that count (more are ignored: nobody types ten words into a place search). */
const maxTokens = 8;

/** Escapes LIKE wildcards (backslash is PostgreSQL's default LIKE escape). */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Rank of a normalised text against a normalised query (the same rules as the SQL). */
export function rankText(text: string, query: string): number | null {
  const tokens = query.split(' ').slice(0, maxTokens);
  if (!tokens.every((t) => text.includes(t))) return null;
  if (text === query) return 0;
  if (text.startsWith(query)) return 1;
  if (` ${text}`.includes(` ${query}`)) return 2;
  return 3;
}

function layerGroupOrder(l: Layer): number {
  return l.group === 'basemap' ? 0 : 1;
}

interface IndexRow {
  layer_id: string;
  feature_id: number;
  name: string;
  full_name: string | null;
  minx: number;
  miny: number;
  maxx: number;
  maxy: number;
  rank: number;
  now_in: { code: string; name: string } | null;
}

/** Searches the index and the layer titles. */
export class SearchService {
  readonly builder: SearchIndexBuilder;

  constructor(
    private readonly db: Database,
    private readonly catalog: Catalog,
  ) {
    this.builder = new SearchIndexBuilder(db, catalog);
  }

  /** Up to `limit` results for `text`, restricted to the layers the caller may read. */
  async search(
    text: string,
    principal: Principal | null,
    limit: number,
    signal?: AbortSignal,
  ): Promise<{ normalized: string; results: SearchResult[] }> {
    const query = normalizeSearchText(text);
    const tokens = query.split(' ').slice(0, maxTokens);
    const layers = this.catalog
      .list(principal)
      .sort((a, b) => layerGroupOrder(a) - layerGroupOrder(b) || a.sortOrder - b.sortOrder || a.id.localeCompare(b.id));
    const byId = new Map(layers.map((l) => [l.id, l]));
    const layerHits: SearchResult[] = [];
    for (const l of layers) {
      const ranks = [l.title, l.titleVi, l.id.replace(/_/g, ' ')]
        .map((t) => rankText(normalizeSearchText(t), query))
        .filter((r): r is number => r !== null);
      // An empty layer has no extent to zoom to, so it is not offered.
      if (ranks.length && l.bounds)
        layerHits.push({
          type: 'layer',
          kind: 'layer',
          layer: l.id,
          layerTitle: l.title,
          name: l.titleVi,
          bbox: l.bounds,
          rank: Math.min(...ranks),
        });
    }
    await this.builder.ensureFresh();
    const rows = await queryRows<IndexRow>(
      this.db,
      `SELECT layer_id, feature_id, name, full_name, minx, miny, maxx, maxy, now_in,
              CASE WHEN name_norm = ? OR full_norm = ? THEN 0
                   WHEN name_norm LIKE ? OR full_norm LIKE ? THEN 1
                   WHEN ' ' || name_norm LIKE ? OR ' ' || full_norm LIKE ? THEN 2
                   ELSE 3 END AS rank
         FROM search_index
        WHERE layer_id = ANY(?::text[]) AND ${tokens.map(() => `(name_norm || ' ' || full_norm) LIKE ?`).join(' AND ')}
        ORDER BY rank, (maxx - minx) * (maxy - miny) DESC, array_position(?::text[], layer_id), length(name), name, feature_id
        LIMIT ?::int`,
      [
        query,
        query,
        `${likeLiteral(query)}%`,
        `${likeLiteral(query)}%`,
        `% ${likeLiteral(query)}%`,
        `% ${likeLiteral(query)}%`,
        layers.map((l) => l.id),
        ...tokens.map((t) => `%${likeLiteral(t)}%`),
        layers.map((l) => l.id),
        limit,
      ],
      signal,
    );
    const features: SearchResult[] = rows.map((r) => ({
      type: 'feature',
      kind: byId.get(r.layer_id)?.group ?? 'other',
      layer: r.layer_id,
      layerTitle: byId.get(r.layer_id)?.title ?? r.layer_id,
      id: r.feature_id,
      name: r.name,
      fullName: r.full_name,
      bbox: [r.minx, r.miny, r.maxx, r.maxy],
      rank: r.rank,
      ...(r.now_in ? { now_in: r.now_in } : {}),
    }));
    // Stable sort: layers before features of the same rank, each list keeping its own order.
    const results = [...layerHits, ...features].sort((a, b) => a.rank - b.rank).slice(0, limit);
    return { normalized: query, results };
  }
}
