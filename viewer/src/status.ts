/**
 * The status bar: the cursor's position in WGS 84 and in VN-2000 TM-3 (zone by former province, or chosen).
 * Keyboard users get the map centre when the cursor is not over the map.
 */
import L from 'leaflet';
import { toVn2000, zoneFor, zones, type ZoneCode } from './coords.ts';
import { h } from './dom.ts';
import { formatNumber, onLangChange, t } from './i18n.ts';

/** Fills `bar` with the coordinate read-out and the zone choice. */
export function enableStatus(bar: HTMLElement, map: L.Map): void {
  let choice: ZoneCode | 'auto' = 'auto';
  let last = map.getCenter();
  const wgs = h('output', { class: 'wgs84', 'aria-live': 'off' });
  const vn = h('output', { class: 'vn2000', 'aria-live': 'off' });
  const select = h('select', {
    id: 'zone-select',
    onchange: (ev: Event) => {
      choice = (ev.target as HTMLSelectElement).value as ZoneCode | 'auto';
      update(last);
    },
  });
  const label = h('label', { for: 'zone-select' });

  const update = (p: L.LatLng) => {
    last = p;
    const lon = L.Util.wrapNum(p.lng, [-180, 180], true);
    wgs.textContent = `WGS 84: ${p.lat.toFixed(6)}° N, ${lon.toFixed(6)}° E`;
    const zone = choice === 'auto' ? zoneFor(lon, p.lat) : choice;
    const { easting, northing } = toVn2000(lon, p.lat, zone);
    vn.textContent = `${zones[zone].name} (${zone}): X ${formatNumber(northing, 2)} m, Y ${formatNumber(easting, 2)} m`;
    vn.title = t('surveyAxes');
  };

  const texts = () => {
    label.textContent = `${t('zone')}: `;
    select.replaceChildren(
      h('option', { value: 'auto', selected: choice === 'auto' }, t('zoneAuto')),
      ...Object.entries(zones).map(([code, z]) =>
        h('option', { value: code, selected: choice === code }, `${z.name.replace('VN-2000 / ', '')} (${code})`),
      ),
    );
    update(last);
  };

  bar.replaceChildren(wgs, vn, h('span', { class: 'zone' }, label, select));
  texts();
  onLangChange(texts);
  map.on('mousemove', (ev: L.LeafletMouseEvent) => update(ev.latlng));
  map.on('moveend', () => update(map.getCenter()));
}
