/**
 * The attribute form of an edited feature, built from the layer's columns: a select of code lists for the
 * categorical column (the style's categories with their Vietnamese names), number inputs for numbers, a checkbox
 * for booleans, date inputs for dates. Values are read back typed; an error names its field next to it.
 */
import type { LayerColumn, ViewerLayer } from '../api.ts';
import { h } from '../dom.ts';
import { currentLang, pick } from '../i18n.ts';

/** A built form: its element, the typed values, and a way to show an error at a field. */
export interface AttributeForm {
  element: HTMLFormElement;
  values(): Record<string, unknown>;
  showError(field: string | null, message: string): void;
}

function input(layer: ViewerLayer, c: LayerColumn): HTMLElement {
  const id = `edit-field-${c.name}`;
  const categories = layer.style.type === 'categorical' && layer.style.property === c.name ? (layer.style.categories ?? []) : [];
  if (categories.length) {
    return h(
      'select',
      { id, name: c.name },
      h('option', { value: '' }, '—'),
      categories.map((k) => h('option', { value: String(k.value) }, pick(k.label, String(k.value)))),
    );
  }
  if (c.type === 'boolean') return h('input', { id, name: c.name, type: 'checkbox' });
  const type =
    c.type === 'integer' || c.type === 'number'
      ? 'number'
      : c.type === 'date'
        ? 'date'
        : c.type === 'datetime'
          ? 'datetime-local'
          : 'text';
  return h('input', { id, name: c.name, type, step: c.type === 'integer' ? '1' : c.type === 'number' ? 'any' : undefined });
}

function valueOf(c: LayerColumn, el: HTMLInputElement | HTMLSelectElement): unknown {
  if (c.type === 'boolean') return (el as HTMLInputElement).checked;
  if (el.value === '') return null;
  if (c.type === 'integer' || c.type === 'number') return Number(el.value);
  return el.value;
}

function setValue(c: LayerColumn, el: HTMLInputElement | HTMLSelectElement, value: unknown): void {
  if (c.type === 'boolean') (el as HTMLInputElement).checked = value === true;
  else el.value = value === null || value === undefined ? '' : String(value);
}

/** Builds the form of a layer's columns, filled with `initial` values; `onSave` runs on submit. */
export function attributeForm(
  layer: ViewerLayer,
  onSave: () => void,
  onCancel: () => void,
  initial: Record<string, unknown> = {},
): AttributeForm {
  const vi = currentLang() === 'vi';
  const rows = layer.columns.map((c) =>
    h(
      'div',
      { class: 'edit-field', 'data-field': c.name },
      h('label', { for: `edit-field-${c.name}` }, pick(c.label, c.name)),
      input(layer, c),
      h('p', { class: 'edit-error', role: 'alert', hidden: true }),
    ),
  );
  const general = h('p', { class: 'edit-error edit-general', role: 'alert', hidden: true });
  const element = h(
    'form',
    { class: 'edit-form', onsubmit: (ev: Event) => (ev.preventDefault(), onSave()) },
    ...rows,
    general,
    h('button', { type: 'submit', class: 'edit-save' }, vi ? 'Lưu' : 'Save'),
    h('button', { type: 'button', class: 'edit-cancel', onclick: () => onCancel() }, vi ? 'Hủy' : 'Cancel'),
  );
  const field = (name: string) => element.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${CSS.escape(name)}"]`)!;
  for (const c of layer.columns) setValue(c, field(c.name), initial[c.name]);
  return {
    element,
    // Empty fields are sent as null: a create leaves them empty, an update clears them.
    values: () => Object.fromEntries(layer.columns.map((c) => [c.name, valueOf(c, field(c.name))])),
    showError(name, message) {
      for (const p of element.querySelectorAll<HTMLElement>('.edit-error')) p.hidden = true;
      const row = name ? element.querySelector<HTMLElement>(`.edit-field[data-field="${CSS.escape(name)}"] .edit-error`) : null;
      const target = row ?? general;
      target.textContent = message;
      target.hidden = false;
    },
  };
}
