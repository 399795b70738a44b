/**
 * The styles a caller may use, as OGC API - Styles lists them (`/styles`, `/collections/{id}/styles`), and the
 * style document of each: the planning map (every layer the caller may read) and one per layer. Pure: the base URL
 * and the readable layers are given by the caller, so a restricted layer appears only for tokens that may read it.
 */
import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { Layer } from '../catalog/catalog.ts';
import { buildStyle, drawOrder, planningMapId } from './maplibre.ts';

/** Media type of a MapLibre / Mapbox GL style document. */
export const styleMediaType = 'application/vnd.mapbox.style+json';

/** The address of a style document. */
export function styleUrl(base: string, id: string): string {
  return `${base}/styles/${encodeURIComponent(id)}.json`;
}

/** The TileJSON of a list of layers (a composite tile for several). */
function tileJsonUrl(base: string, layers: readonly Layer[]): string {
  return `${base}/tiles/${drawOrder(layers)
    .map((l) => encodeURIComponent(l.id))
    .join(',')}.json`;
}

interface StyleEntry {
  id: string;
  title: string;
  links: Array<{ href: string; rel: string; type: string; title: string }>;
}

function entry(base: string, id: string, title: string): StyleEntry {
  return {
    id,
    title,
    links: [{ href: styleUrl(base, id), rel: 'stylesheet', type: styleMediaType, title: 'MapLibre / Mapbox GL style v8' }],
  };
}

/** GET /styles: the planning map first (the default), then one style per readable layer. */
export function styleList(base: string, layers: readonly Layer[]): Record<string, unknown> {
  return {
    default: planningMapId,
    styles: [
      entry(base, planningMapId, 'Planning map: every layer, as in the viewer'),
      ...drawOrder(layers)
        .reverse()
        .map((l) => entry(base, l.id, l.title)),
    ],
    links: [{ href: `${base}/styles`, rel: 'self', type: 'application/json', title: 'styles' }],
  };
}

/** GET /collections/{id}/styles: the one style of a layer. */
export function collectionStyleList(base: string, layer: Layer): Record<string, unknown> {
  return {
    default: layer.id,
    styles: [entry(base, layer.id, layer.title)],
    links: [
      {
        href: `${base}/collections/${encodeURIComponent(layer.id)}/styles`,
        rel: 'self',
        type: 'application/json',
        title: 'styles of this layer',
      },
    ],
  };
}

/** The planning map of the layers a caller may read; null when there are none (nothing to draw). */
export function planningMapStyle(base: string, layers: readonly Layer[]): StyleSpecification | null {
  if (!layers.length) return null;
  return buildStyle({ id: planningMapId, name: 'Bắc Ninh planning map', layers, tileJsonUrl: (run) => tileJsonUrl(base, run) });
}

/** The style of one layer. */
export function layerStyle(base: string, layer: Layer): StyleSpecification {
  return buildStyle({ id: layer.id, name: layer.title, layers: [layer], tileJsonUrl: (run) => tileJsonUrl(base, run) });
}
