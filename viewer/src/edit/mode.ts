/**
 * Edit mode: for a token that may change a layer, a button next to the toolbar opens a panel to pick the layer, draw
 * a new feature with Leaflet-Geoman (marker, line or polygon by the layer's type, snapping to what is drawn) and fill
 * in its attributes; Save creates it through the API. An existing feature is selected on the map: its full geometry
 * opens in Geoman's edit mode (vertices snap to the neighbouring features) beside its attribute form; Save sends the
 * change (PATCH), Delete asks first; both against the ETag read (If-Match), a conflict (412) shows both versions.
 * After every change the tiles over the edited area are fetched anew, so the map shows it at once.
 */
import L from 'leaflet';
import type { Geometry } from 'geojson';
import { identify, type ViewerLayer } from '../api.ts';
import { h } from '../dom.ts';
import { currentLang, onLangChange, pick } from '../i18n.ts';
import {
  EditError,
  createFeature,
  deleteFeature,
  editableLayerIds,
  getFeature,
  patchFeature,
  type FeatureChange,
} from './api.ts';
import { attributeForm, type AttributeForm } from './form.ts';
import { editShape, type EditableShape } from './shape.ts';
import { conflictBox } from './conflict.ts';
import './edit.css';

/** What edit mode needs from the viewer. */
export interface EditHost {
  /** Every catalog layer the viewer knows. */
  layers(): ViewerLayer[];
  /** Redraws the tiles of a layer over an area (EPSG:4326) from the server, past any cache. */
  refreshArea(layerId: string, bounds: L.LatLngBounds): Promise<void>;
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
  pick: { vi: 'Chọn đối tượng để sửa', en: 'Select a feature to edit' },
  pickHint: { vi: 'Nhấp vào một đối tượng của lớp.', en: 'Click a feature of the layer.' },
  shapeHint: {
    vi: 'Kéo các đỉnh để sửa hình (bắt dính vào thửa bên cạnh); sửa thuộc tính bên dưới rồi Lưu.',
    en: 'Drag the vertices to reshape it (they snap to the neighbours); edit the attributes below, then Save.',
  },
  delete: { vi: 'Xóa đối tượng', en: 'Delete feature' },
  confirmDelete: {
    vi: 'Xóa đối tượng này? Quản trị viên có thể khôi phục từ lịch sử.',
    en: 'Delete this feature? An administrator can restore it from its history.',
  },
  yesDelete: { vi: 'Xóa', en: 'Delete' },
  no: { vi: 'Không', en: 'No' },
  deleted: { vi: 'Đã xóa đối tượng', en: 'Deleted feature' },

  nothing: { vi: 'Không có đối tượng nào ở đây.', en: 'No feature here.' },
};
const tx = (k: keyof typeof texts) => texts[k][currentLang()];
const drawShape = { Point: 'Marker', LineString: 'Line', Polygon: 'Polygon' } as const;

/** What the rest of the viewer may ask of edit mode. */
export interface EditMode {
  /** True while edit mode has the map's clicks (drawing, picking a feature, or a shape open for editing). */
  busy(): boolean;
}

/** Starts edit mode's button and panel over the map; they show only for a token that may edit some layer. */
export function enableEditing(map: L.Map, host: EditHost): EditMode {
  const button = h('button', { type: 'button', id: 'edit-toggle', class: 'edit-toggle', hidden: true, 'aria-expanded': 'false' });
  const panel = h('aside', { id: 'edit-panel', class: 'panel edit-panel', hidden: true });
  const saved = L.featureGroup().addTo(map);
  map.getContainer().after(button, panel);
  let editable = new Set<string>();
  let drawing = false;
  let picking = false;
  let sketch: L.Layer | null = null;
  let form: AttributeForm | null = null;
  /** The existing feature whose shape is in edit mode, if any. */
  let shape: EditableShape | null = null;

  const layersToEdit = () => host.layers().filter((l) => editable.has(l.id));
  const select = () => panel.querySelector<HTMLSelectElement>('#edit-layer');
  const chosen = () => layersToEdit().find((l) => l.id === select()?.value);

  function clearSketch(): void {
    sketch?.remove();
    sketch = null;
    shape?.remove();
    shape = null;
    form = null;
    for (const el of panel.querySelectorAll('.edit-form, .edit-conflict, .edit-confirm')) el.remove();
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
  // Clicks that draw or drag vertices must not open identify popups meanwhile: identify asks busy() first; any other
  // popup is closed here.
  map.on('popupopen', (e: L.PopupEvent) => {
    if (drawing || picking || shape) map.closePopup(e.popup);
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

  /** Opens a feature: its shape in edit mode, its attribute form, and Delete. */
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
    form.element.append(h('button', { type: 'button', id: 'edit-delete', onclick: () => confirmDelete() }, tx('delete')));
    shape = editShape(map, info, feature);
    if (shape) panel.append(h('p', { class: 'edit-hint' }, tx('shapeHint')));
    panel.append(form.element);
    const area = () => shape?.bounds() ?? null;

    async function saveExisting(): Promise<void> {
      if (!form) return;
      const geometry = shape?.changedGeometry();
      const mine: FeatureChange = { properties: form.values(), ...(geometry ? { geometry } : {}) };
      try {
        const done = await patchFeature(info.id, id, mine, current);
        current = done.etag;
        finished(info, area(), 'saved', done.feature.id);
      } catch (err) {
        if (err instanceof EditError && err.status === 412) await showConflict(info, id, mine, area());
        else form.showError(err instanceof EditError ? err.field : null, (err as Error).message);
      }
    }

    function confirmDelete(): void {
      panel.querySelector('.edit-confirm')?.remove();
      const box = h(
        'div',
        { class: 'edit-confirm', role: 'alertdialog' },
        h('p', {}, `${tx('confirmDelete')} (#${String(id)})`),
        h('button', { type: 'button', id: 'edit-delete-confirm', onclick: () => void remove() }, tx('yesDelete')),
        h('button', { type: 'button', id: 'edit-delete-cancel', onclick: () => box.remove() }, tx('no')),
      );
      panel.append(box);
      (box.querySelector('#edit-delete-cancel') as HTMLElement).focus();
      async function remove(): Promise<void> {
        try {
          await deleteFeature(info.id, id, current);
          finished(info, area(), 'deleted', id);
        } catch (err) {
          box.remove();
          if (err instanceof EditError && err.status === 412) await showConflict(info, id, null, area());
          else form?.showError(null, (err as Error).message);
        }
      }
    }
  }

  /** A conflict (412): both versions and the choice (see conflictBox); applying mine finishes the change. */
  async function showConflict(
    info: ViewerLayer,
    id: string | number,
    mine: FeatureChange | null,
    area: L.LatLngBounds | null,
  ): Promise<void> {
    const theirs = await getFeature(info.id, id);
    const box = conflictBox(info, mine, theirs.feature, {
      async apply() {
        if (mine) {
          const done = await patchFeature(info.id, id, mine, theirs.etag);
          finished(info, area, 'saved', done.feature.id);
        } else {
          await deleteFeature(info.id, id, theirs.etag);
          finished(info, area, 'deleted', id);
        }
      },
      keep: () => (clearSketch(), render(), void openExisting(info, id)),
    });
    panel.querySelector('.edit-form')?.remove();
    panel.append(box);
  }

  /** After a change: the panel says so (with the feature's id), the shape leaves, and the area redraws from the server. */
  function finished(info: ViewerLayer, area: L.LatLngBounds | null, what: 'saved' | 'deleted', id: unknown): void {
    clearSketch();
    render();
    const status = panel.querySelector('.edit-status')!;
    status.textContent = `${tx(what)} #${String(id)}`;
    status.setAttribute(what === 'saved' ? 'data-feature-id' : 'data-deleted-id', String(id));
    if (area) void redraw(info, area);
  }

  /** Redraws the tiles over an edited area; the map says when they are in (data-redrawn, for tests and the curious). */
  async function redraw(info: ViewerLayer, area: L.LatLngBounds): Promise<void> {
    panel.removeAttribute('data-redrawn');
    // Tiles are dropped on the server when its NOTIFY of the change arrives, just after the commit that answered us.
    await new Promise((r) => setTimeout(r, 250));
    await host.refreshArea(info.id, area.pad(0.05)).catch(() => undefined);
    panel.setAttribute('data-redrawn', String(Date.now()));
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
      const drawn = L.geoJSON(feature, { style: { color: info.style.color ?? '#d9480f', weight: 2 } }).addTo(saved);
      finished(info, null, 'saved', feature.id);
      // The new shape stays drawn until the tiles over it are fetched anew.
      void redraw(info, drawn.getBounds()).then(() => drawn.remove());
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
  return { busy: () => drawing || picking || shape !== null };
}
