/** The viewer link that shows a freshly published layer: its bounds as the view, it and the base map switched on. */
import { formatState } from '../permalink.ts';
import type { Lang } from '../i18n.ts';

/** The map box the zoom is chosen for (px): a typical office screen less the viewer's panels. */
const viewPx = { width: 900, height: 600 };

/**
 * The largest zoom at which bounds (EPSG:4326) fit the view (Web Mercator, 256 px tiles), between 5 and 17. A point
 * (zero extent) gets 17.
 */
export function zoomForBounds(bounds: readonly [number, number, number, number]): number {
  const [minLon, minLat, maxLon, maxLat] = bounds;
  const mercY = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const lonFraction = (maxLon - minLon) / 360;
  const latFraction = (mercY(maxLat) - mercY(minLat)) / (2 * Math.PI);
  const fit = (fraction: number, px: number) => (fraction > 0 ? Math.log2(px / 256 / fraction) : Infinity);
  const z = Math.floor(Math.min(fit(lonFraction, viewPx.width), fit(latFraction, viewPx.height)));
  return Math.max(5, Math.min(17, z));
}

/** `/viewer/#map=…&layers=…` (relative to the upload page) centred on the bounds, with `layers` visible (top first). */
export function mapLinkFor(bounds: readonly [number, number, number, number], layers: readonly string[], lang: Lang): string {
  const [minLon, minLat, maxLon, maxLat] = bounds;
  const hash = formatState({
    zoom: zoomForBounds(bounds),
    lat: (minLat + maxLat) / 2,
    lon: (minLon + maxLon) / 2,
    layers: [...layers],
    opacity: {},
    lang,
  });
  return `./#${hash}`;
}
