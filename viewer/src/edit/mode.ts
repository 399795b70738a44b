/**
 * Edit mode: for a token that may change a layer, a button next to the toolbar opens a panel to pick the layer, draw
 * a new feature with Leaflet-Geoman (marker, line or polygon by the layer's type, snapping to what is drawn) and fill
 * in its attributes; Save creates it through the API and the saved shape stays drawn until the tiles show it.
 */
import L from 'leaflet';
import type { Geometry } from 'geojson';
import { identify, type ViewerLayer } from '../api.ts';
import { h } from '../dom.ts';
import { currentLang, onLangChange, pick } from '../i18n.ts';
import { EditError, createFeature, editableLayerIds, getFeature, patchFeature } from './api.ts';
import { attributeForm, type AttributeForm } from './form.ts';
import './edit.css';

/** What edit mode needs from the viewer. */
export interface EditHost {
  /** Every catalog layer the viewer knows. */
  layers(): ViewerLayer[];
}

const texts = {
  edit: { vi: 'Sửa dữ liệu', en: 'Edit data' },
  layer: { vi: 'Lớp', en: 'Layer' },
  draw: { vi: 'Vẽ đối tượng mới', en: 'Draw a new feature' },
  drawHint: {
    vi: 'Nhấp trên bản đồ để vẽ; nhấp điểm đầu để kết thúc.',
    en: 'Click on the map to draw; click the first point to finish.',
  },
  saved: { vi: 'Đã lưu đối tượng', en: 'Saved feature' },
  pick: { vi: 'Sửa thuộc tính đối tượng có sẵn', en: 'Edit attributes of a feature' },
  pickHint: { vi: 'Nhấp vào một đối tượng của lớp.', en: 'Click a feature of the layer.' },
  nothing: { vi: 'Không có đối tượng nào ở đây.', en: 'No feature here.' },
  conflict: {
    vi: 'Người khác đã sửa đối tượng này trong lúc bạn sửa. Chọn bản giữ lại:',
    en: 'Someone else changed this feature while you edited it. Choose the version to keep:',
  },
  field: { vi: 'Trường', en: 'Field' },
  mine: { vi: 'Bản của bạn', en: 'Yours' },
  theirs: { vi: 'Bản hiện có', en: 'Current' },
  overwrite: { vi: 'Ghi đè bằng bản của bạn', en: 'Overwrite with yours' },
  keep: { vi: 'Giữ bản hiện có', en: 'Keep the current one' },
};
const tx = (k: keyof typeof texts) => texts[k][currentLang()];
const drawShape = { Point: 'Marker', LineString: 'Line', Polygon: 'Polygon' } as const;

/** Starts edit mode's button and panel over the map; they show only for a token that may edit some layer. */
export function enableEditing(map: L.Map, host: EditHost): void {
  const button = h('button', { type: 'button', id: 'edit-toggle', class: 'edit-toggle', hidden: true, 'aria-expanded': 'false' });
  const panel = h('aside', { id: 'edit-panel', class: 'panel edit-panel', hidden: true });
  const saved = L.featureGroup().addTo(map);
  map.getContainer().after(button, panel);
  let editable = new Set<string>();
  let drawing = false;
  let picking = false;
  let sketch: L.Layer | null = null;
  let form: AttributeForm | null = null;

  const layersToEdit = () => host.layers().filter((l) => editable.has(l.id));
  const select = () => panel.querySelector<HTMLSelectElement>('#edit-layer');
  const chosen = () => layersToEdit().find((l) => l.id === select()?.value);

  function clearSketch(): void {
    sketch?.remove();
    sketch = null;
    form = null;
    panel.querySelector('.edit-form')?.remove();
    panel.querySelector('.edit-conflict')?.remove();
  }

  function render(): void {
    button.textContent = tx('edit');
    const current = select()?.value;
    const options = layersToEdit().map((l) =>
      h('option', { value: l.id, selected: l.id === current }, pick({ vi: l.title_vi, en: l.title })),
    );
    panel.replaceChildren(
      h('h2', { class: 'panel-title' }, tx('edit')),
      h('label', { for: 'edit-layer' }, tx('layer')),
      h('select', { id: 'edit-layer', onchange: () => clearSketch() }, options),
      h('button', { type: 'button', id: 'edit-draw', onclick: () => startDrawing() }, tx('draw')),
      h('button', { type: 'button', id: 'edit-pick', onclick: () => startPicking() }, tx('pick')),
      h('p', { class: 'edit-hint', hidden: !drawing && !picking }, tx(picking ? 'pickHint' : 'drawHint')),
      h('p', { class: 'edit-status', role: 'status' }),
    );
  }

  function startDrawing(): void {
    const layer = chosen();
    if (!layer) return;
    clearSketch();
    drawing = true;
    render();
    map.pm.enableDraw(drawShape[layer.geometryType], { snappable: true, snapDistance: 15 } as L.PM.DrawModeOptions);
  }

  // Geoman announces every finished drawing as pm:create on the map, where the measuring tools listen too: an edit
  // sketch is taken here and not passed on, so it is neither summarised nor measured.
  const fire = map.fire;
  map.fire = function (this: L.Map, type: string, data?: unknown, propagate?: boolean) {
    if (drawing && type === 'pm:create') {
      drawing = false;
      onSketch((data as { layer: L.Layer }).layer);
      return this;
    }
    return fire.call(this, type, data, propagate);
  } as typeof map.fire;
  // Clicks that draw vertices must not open identify popups meanwhile.
  map.on('popupopen', (e: L.PopupEvent) => {
    if (drawing || picking) map.closePopup(e.popup);
  });
  map.on('click', (ev: L.LeafletMouseEvent) => {
    if (!picking) return;
    const info = chosen();
    setTimeout(() => (picking = false), 0); // after identify's popup of this click was closed
    if (info) void pickAt(info, ev.latlng);
  });

  function startPicking(): void {
    clearSketch();
    picking = true;
    render();
  }

  async function pickAt(info: ViewerLayer, at: L.LatLng): Promise<void> {
    const status = () => panel.querySelector('.edit-status')!;
    try {
      const found = await identify(at.lng, at.lat, [info.id], 3);
      const id = found.flatMap((g) => g.features)[0]?.id;
      render();
      if (id === undefined) status().textContent = tx('nothing');
      else await openExisting(info, id);
    } catch (err) {
      status().textContent = (err as Error).message;
    }
  }

  async function openExisting(info: ViewerLayer, id: string | number): Promise<void> {
    const { feature, etag } = await getFeature(info.id, id);
    let current = etag;
    form = attributeForm(
      info,
      () => void saveExisting(),
      () => clearSketch(),
      feature.properties ?? {},
    );
    form.element.setAttribute('data-feature-id', String(id));
    panel.append(form.element);
    async function saveExisting(): Promise<void> {
      if (!form) return;
      const mine = form.values();
      try {
        const done = await patchFeature(info.id, id, mine, current);
        current = done.etag;
        savedMessage(done.feature.id);
      } catch (err) {
        if (err instanceof EditError && err.status === 412) await showConflict(info, id, mine);
        else form.showError(err instanceof EditError ? err.field : null, (err as Error).message);
      }
    }
  }

  /** Both versions side by side, and the choice: overwrite with mine (against the current ETag) or keep theirs. */
  async function showConflict(info: ViewerLayer, id: string | number, mine: Record<string, unknown>): Promise<void> {
    const theirs = await getFeature(info.id, id);
    const show = (v: unknown) => (v === null || v === undefined ? '—' : String(v));
    const rows = info.columns.map((c) =>
      h(
        'tr',
        { 'data-column': c.name },
        h('th', { scope: 'row' }, pick(c.label, c.name)),
        h('td', { class: 'mine' }, show(mine[c.name])),
        h('td', { class: 'theirs' }, show(theirs.feature.properties?.[c.name])),
      ),
    );
    const box = h(
      'div',
      { class: 'edit-conflict', role: 'alert' },
      h('p', {}, tx('conflict')),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, tx('field')), h('th', {}, tx('mine')), h('th', {}, tx('theirs')))),
        h('tbody', {}, rows),
      ),
      h('button', { type: 'button', id: 'edit-overwrite', onclick: () => void overwrite() }, tx('overwrite')),
      h(
        'button',
        { type: 'button', id: 'edit-keep', onclick: () => (clearSketch(), render(), void openExisting(info, id)) },
        tx('keep'),
      ),
    );
    panel.querySelector('.edit-form')?.remove();
    panel.append(box);
    async function overwrite(): Promise<void> {
      try {
        const done = await patchFeature(info.id, id, mine, theirs.etag);
        box.remove();
        savedMessage(done.feature.id);
      } catch (err) {
        box.append(h('p', { class: 'edit-error', role: 'alert' }, (err as Error).message));
      }
    }
  }

  function savedMessage(id: unknown): void {
    form = null;
    render();
    const status = panel.querySelector('.edit-status')!;
    status.textContent = `${tx('saved')} #${String(id)}`;
    status.setAttribute('data-feature-id', String(id));
  }

  function onSketch(layer: L.Layer): void {
    const info = chosen();
    if (!info) return;
    sketch = layer;
    render();
    form = attributeForm(
      info,
      () => void save(info),
      () => clearSketch(),
    );
    panel.append(form.element);
    (form.element.querySelector('input, select') as HTMLElement | null)?.focus();
  }

  async function save(info: ViewerLayer): Promise<void> {
    if (!sketch || !form) return;
    const geometry = (sketch as L.Polygon).toGeoJSON().geometry as Geometry;
    try {
      const { feature } = await createFeature(info.id, geometry, form.values());
      L.geoJSON(feature, { style: { color: info.style.color ?? '#d9480f', weight: 2 } }).addTo(saved);
      clearSketch();
      savedMessage(feature.id);
    } catch (err) {
      form.showError(err instanceof EditError ? err.field : null, (err as Error).message);
    }
  }

  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
    if (panel.hidden) clearSketch();
    else render();
  });

  async function refresh(): Promise<void> {
    if (!host.layers().length) {
      setTimeout(() => void refresh(), 500); // the layers are not loaded yet
      return;
    }
    editable = await editableLayerIds().catch(() => new Set<string>());
    button.hidden = layersToEdit().length === 0;
    if (button.hidden) panel.hidden = true;
    render();
  }
  // The token is entered in its own box; look again whenever it is applied (and once the layers are known).
  document.addEventListener('click', (ev) => {
    if ((ev.target as Element | null)?.closest('#token button')) setTimeout(() => void refresh(), 500);
  });
  onLangChange(render);
  void refresh();
}
