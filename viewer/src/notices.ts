/** Messages over the map: what failed (the server, a layer, a query) and, where it helps, a way to retry. */
import { h } from './dom.ts';
import { t } from './i18n.ts';

const shown = new Map<string, HTMLElement>();

function area(): HTMLElement {
  return document.getElementById('notices')!;
}

/** Shows (or replaces) the notice `key`; `retry` adds a retry button. */
export function showNotice(key: string, text: string, retry?: () => void): void {
  dismissNotice(key);
  const el = h(
    'div',
    { class: 'notice', role: 'alert', 'data-notice': key },
    h('span', {}, text),
    retry ? h('button', { type: 'button', onclick: () => retry() }, t('retry')) : null,
    h(
      'button',
      { type: 'button', class: 'notice-close', 'aria-label': t('close'), title: t('close'), onclick: () => dismissNotice(key) },
      '×',
    ),
  );
  shown.set(key, el);
  area().append(el);
}

/** Removes the notice `key`, if shown. */
export function dismissNotice(key: string): void {
  shown.get(key)?.remove();
  shown.delete(key);
}
