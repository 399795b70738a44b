/** URLs of the open-data resources of a layer, built in one place for records, DCAT and collection documents. */
import type { Layer } from '../catalog/catalog.ts';
import type { DownloadFormat } from './formats.ts';

/** The id of the records catalog collection; a hyphen cannot occur in a layer id, so it never shadows a layer. */
export const catalogCollectionId = 'opendata-catalog';

/** `base` + path (+ query), `base` without a trailing slash. */
export function url(base: string, path: string, query?: Record<string, string>): string {
  const q = query ? new URLSearchParams(query).toString() : '';
  return `${base}${path}${q ? `?${q}` : ''}`;
}

/** The path of a layer's collection. */
export function collectionPath(layer: Pick<Layer, 'id'>): string {
  return `/collections/${encodeURIComponent(layer.id)}`;
}

/** The download URL of a layer in one format (WGS 84 unless `crs` is given, e.g. 'EPSG:9209'). */
export function downloadUrl(base: string, layer: Pick<Layer, 'id'>, format: DownloadFormat, crs?: string): string {
  return url(base, `${collectionPath(layer)}/download`, crs ? { format, crs } : { format });
}

/** The record of a layer in the records catalog. */
export function recordUrl(base: string, layer: Pick<Layer, 'id'>): string {
  return url(base, `/collections/${catalogCollectionId}/items/${encodeURIComponent(layer.id)}`);
}
