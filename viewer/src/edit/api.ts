/**
 * The edit API as the viewer uses it: which layers this token may edit, and creating, changing and deleting a feature
 * (OGC API Features Part 4), each change against the ETag it read (If-Match).
 */
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { apiUrl, authHeaders, currentToken } from '../api.ts';

/** An error answer of an edit, with the property or field the server named, when it named one. */
export class EditError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The property named by the message (`property "code"`), or 'geometry'. */
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** The field a server message names: `property "x"` or `field "geometry…"`. */
export function fieldOf(message: string): string | null {
  const property = /property "([^"]+)"/.exec(message);
  if (property) return property[1];
  return /field "geometry/.test(message) ? 'geometry' : null;
}

/** Ids of the layers this token may change (GET /admin/layers answers mayChange per layer); none without a token. */
export async function editableLayerIds(): Promise<Set<string>> {
  if (!currentToken()) return new Set();
  const res = await fetch(apiUrl('admin/layers'), { headers: { Accept: 'application/json', ...authHeaders() } });
  if (!res.ok) return new Set();
  const body = (await res.json()) as { layers: Array<{ id: string; mayChange: boolean }> };
  return new Set(body.layers.filter((l) => l.mayChange).map((l) => l.id));
}

async function answer(res: Response): Promise<{ feature: Feature; etag: string }> {
  const body = (await res.json().catch(() => ({}))) as Feature & { description?: string };
  if (!res.ok) {
    const message = body.description ?? `${res.status} ${res.statusText}`;
    throw new EditError(res.status, message, fieldOf(message));
  }
  return { feature: body, etag: res.headers.get('ETag') ?? '' };
}

/** One feature as stored now, with its ETag (read without any cache: the ETag must be current). */
export async function getFeature(layerId: string, id: string | number): Promise<{ feature: Feature; etag: string }> {
  const url = apiUrl(`collections/${encodeURIComponent(layerId)}/items/${encodeURIComponent(String(id))}`);
  return answer(await fetch(url, { cache: 'no-store', headers: { Accept: 'application/geo+json', ...authHeaders() } }));
}

/** What a PATCH changes: properties and/or the geometry (a JSON merge patch). */
export interface FeatureChange {
  properties?: Record<string, unknown>;
  geometry?: Geometry;
}

function itemUrl(layerId: string, id: string | number): string {
  return apiUrl(`collections/${encodeURIComponent(layerId)}/items/${encodeURIComponent(String(id))}`);
}

/** Changes a feature read with `etag`; a feature changed meanwhile is an EditError of status 412. */
export async function patchFeature(layerId: string, id: string | number, change: FeatureChange, etag: string) {
  return answer(
    await fetch(itemUrl(layerId, id), {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/merge-patch+json',
        Accept: 'application/geo+json',
        'If-Match': etag,
        ...authHeaders(),
      },
      body: JSON.stringify(change),
    }),
  );
}

/** Deletes a feature read with `etag`; a feature changed meanwhile is an EditError of status 412. */
export async function deleteFeature(layerId: string, id: string | number, etag: string): Promise<void> {
  const res = await fetch(itemUrl(layerId, id), { method: 'DELETE', headers: { 'If-Match': etag, ...authHeaders() } });
  if (!res.ok) await answer(res);
}

/** Up to `limit` features of a layer within a bbox (EPSG:4326 lon/lat): the neighbours an edited shape snaps to. */
export async function featuresIn(layerId: string, bbox: [number, number, number, number], limit: number): Promise<Feature[]> {
  const url = apiUrl(`collections/${encodeURIComponent(layerId)}/items`, { bbox: bbox.join(','), limit });
  const res = await fetch(url, { headers: { Accept: 'application/geo+json', ...authHeaders() } });
  if (!res.ok) return [];
  return ((await res.json()) as FeatureCollection).features;
}

/** Creates a feature; answers it as saved (with its id) and its ETag. */
export async function createFeature(
  layerId: string,
  geometry: Geometry,
  properties: Record<string, unknown>,
): Promise<{ feature: Feature; etag: string }> {
  const res = await fetch(apiUrl(`collections/${encodeURIComponent(layerId)}/items`), {
    method: 'POST',
    headers: { 'Content-Type': 'application/geo+json', Accept: 'application/geo+json', ...authHeaders() },
    body: JSON.stringify({ type: 'Feature', geometry, properties }),
  });
  return answer(res);
}
