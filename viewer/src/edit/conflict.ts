/**
 * The conflict dialog of an edit answered 412: the feature changed since it was read. Mine and theirs side by side,
 * field by field (and the geometry when mine reshaped it), and the choice: apply mine against the current version
 * (overwrite, or delete anyway) or keep theirs. Values are set as text, never parsed as HTML.
 */
import type { Feature } from 'geojson';
import type { ViewerLayer } from '../api.ts';
import { h } from '../dom.ts';
import { currentLang, pick } from '../i18n.ts';
import type { FeatureChange } from './api.ts';

const texts = {
  conflict: {
    vi: 'Người khác đã sửa đối tượng này trong lúc bạn sửa. Chọn bản giữ lại:',
    en: 'Someone else changed this feature while you edited it. Choose the version to keep:',
  },
  field: { vi: 'Trường', en: 'Field' },
  mine: { vi: 'Bản của bạn', en: 'Yours' },
  theirs: { vi: 'Bản hiện có', en: 'Current' },
  overwrite: { vi: 'Ghi đè bằng bản của bạn', en: 'Overwrite with yours' },
  deleteAnyway: { vi: 'Vẫn xóa', en: 'Delete anyway' },
  keep: { vi: 'Giữ bản hiện có', en: 'Keep the current one' },
  geometry: { vi: 'Hình dạng', en: 'Geometry' },
  reshaped: { vi: 'đã sửa', en: 'reshaped' },
};
const tx = (k: keyof typeof texts) => texts[k][currentLang()];

/** What the dialog's two buttons do. */
export interface ConflictChoice {
  /** Applies mine against the current version; a failure is shown in the dialog. */
  apply(): Promise<void>;
  keep(): void;
}

/** The dialog for `mine` (null: a delete) against `theirs`, the feature as it is now. */
export function conflictBox(info: ViewerLayer, mine: FeatureChange | null, theirs: Feature, choice: ConflictChoice): HTMLElement {
  const show = (v: unknown) => (v === null || v === undefined ? '—' : String(v));
  const rows = info.columns.map((c) =>
    h(
      'tr',
      { 'data-column': c.name },
      h('th', { scope: 'row' }, pick(c.label, c.name)),
      h('td', { class: 'mine' }, mine ? show(mine.properties?.[c.name]) : '—'),
      h('td', { class: 'theirs' }, show(theirs.properties?.[c.name])),
    ),
  );
  if (mine?.geometry)
    rows.push(
      h(
        'tr',
        { 'data-column': 'geometry' },
        h('th', { scope: 'row' }, tx('geometry')),
        h('td', { class: 'mine' }, tx('reshaped')),
        h('td', { class: 'theirs' }, '—'),
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
    h('button', { type: 'button', id: 'edit-overwrite', onclick: () => void apply() }, tx(mine ? 'overwrite' : 'deleteAnyway')),
    h('button', { type: 'button', id: 'edit-keep', onclick: () => choice.keep() }, tx('keep')),
  );
  async function apply(): Promise<void> {
    try {
      await choice.apply();
      box.remove();
    } catch (err) {
      box.append(h('p', { class: 'edit-error', role: 'alert' }, (err as Error).message));
    }
  }
  return box;
}
