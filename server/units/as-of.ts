/**
 * Which layers a tile shows as of a date. Each vintage of the administrative units is a layer of its own (2009
 * communes, districts and provinces until 2025-06-30; the units of 2025 from 2025-07-01), so a tile "as of" a date
 * keeps the temporal layers whose extent meets the asked days and drops the others; layers without validity stay.
 * The tile cache is keyed by the layers it draws, so each vintage is cached apart without a key of its own.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { DayInterval } from '../sql/where.ts';

/** Does a layer's temporal extent [first, last] (days, inclusive, null = open) meet the asked days? */
export function layerMeets(layer: Pick<Layer, 'temporal' | 'temporalExtent'>, days: DayInterval): boolean {
  if (!layer.temporal) return true;
  const [first, last] = layer.temporalExtent ?? [null, null];
  const startsInTime = first === null || days.last === null || first <= days.last;
  const endsInTime = last === null || days.first === null || last >= days.first;
  return startsInTime && endsInTime;
}

/** The layers of a tile as of `days` (all of them when no date was asked). */
export function layersAsOf<T extends Pick<Layer, 'temporal' | 'temporalExtent'>>(
  layers: readonly T[],
  days: DayInterval | null,
): T[] {
  return days === null ? [...layers] : layers.filter((l) => layerMeets(l, days));
}
