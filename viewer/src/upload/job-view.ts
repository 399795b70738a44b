/**
 * The job panel of the upload page: status, phase and progress bar; the confirmation form (CRS proposals, own
 * EPSG/proj4, encoding candidates with their previews) while the job waits for it; errors, fixes, warnings, counts;
 * the cancel button while the job can still be stopped, and the map link once it is published.
 */
import { h } from '../dom.ts';
import { formatNumber } from '../i18n.ts';
import { finalStatuses, type ConfirmAnswer, type DatasetReport, type EncodingCandidate, type JobReport } from './client.ts';
import { isTextKey, tx } from './texts.ts';

/** What the panel asks of the page. */
export interface JobActions {
  confirm(answer: ConfirmAnswer): void;
  cancel(): void;
}

/** Every CRS proposal of the datasets, once per EPSG code, best first. */
function proposalsOf(datasets: readonly DatasetReport[]) {
  const seen = new Map<number, DatasetReport['crs']['proposals'][number]>();
  for (const d of datasets) for (const p of d.crs.proposals) if (!seen.has(p.srid)) seen.set(p.srid, p);
  return [...seen.values()];
}

/** Every encoding candidate of the datasets, once per encoding, in the server's order (detected first). */
function encodingsOf(datasets: readonly DatasetReport[]): string[] {
  return [...new Set(datasets.flatMap((d) => d.encoding.candidates.map((c) => c.encoding)))];
}

/** An own CRS as the confirm request takes it: a number or 'EPSG:n' is an srid, '+proj=…' a proj4 string. */
export function parseOwnCrs(text: string): Pick<ConfirmAnswer, 'srid' | 'proj4'> | null {
  const s = text.trim();
  if (!s) return null;
  const m = /^(?:EPSG:)?(\d{4,6})$/i.exec(s);
  if (m) return { srid: Number(m[1]) };
  return { proj4: s };
}

/** The job panel; `show(report)` after every poll. */
export class JobView {
  private report: JobReport | null = null;
  private mapLink: string | null = null;
  /** The uploader's choices in the confirmation form, kept across re-renders (language switch). */
  private choice = { srid: '', own: '', encoding: '' };
  private confirmFor = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: JobActions,
  ) {}

  /** Shows a job report (and clears a map link of an earlier job). */
  show(report: JobReport): void {
    if (this.report?.id !== report.id) this.mapLink = null;
    this.report = report;
    this.render();
  }

  /** Adds the "view on the map" link of the published layer. */
  setMapLink(href: string): void {
    this.mapLink = href;
    this.render();
  }

  /** Draws the panel again in the current language. */
  render(): void {
    const r = this.report;
    this.root.hidden = r === null;
    if (!r) return;
    const status = `status_${r.status}`;
    const final = finalStatuses.includes(r.status);
    const parts: Array<HTMLElement | null> = [
      h('h2', { id: 'job-title' }, tx('jobTitle')),
      r.fileName ? h('p', { id: 'job-file', class: 'job-file' }, `${tx('file')}: `, h('strong', {}, r.fileName)) : null,
      h(
        'p',
        { id: 'job-status', class: `job-status job-${r.status}`, 'data-status': r.status },
        isTextKey(status) ? tx(status) : r.status,
        r.phase ? ` — ${r.phase}` : '',
      ),
      h('progress', {
        id: 'job-progress',
        max: 100,
        value: r.progress,
        'aria-labelledby': 'job-title',
        'aria-valuetext': `${r.progress}%`,
      }),
      h('span', { class: 'progress-text' }, `${r.progress}%`),
      final
        ? null
        : h(
            'button',
            { type: 'button', id: 'job-cancel', class: 'secondary', onclick: () => this.actions.cancel() },
            tx('cancel'),
          ),
      r.status === 'needs_confirmation' && r.confirmation ? this.confirmationForm(r) : null,
      this.datasets(r),
      this.list('job-errors', tx('errors'), r.errors, r.status === 'failed'),
      this.list('job-fixes', tx('fixes'), r.fixes, true),
      this.list('job-warnings', tx('warnings'), r.warnings, true),
      this.counts(r),
      r.status === 'published' && this.mapLink
        ? h('p', { class: 'map-link' }, h('a', { id: 'map-link', href: this.mapLink }, tx('viewOnMap')))
        : null,
    ];
    this.root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  }

  private datasets(r: JobReport): HTMLElement | null {
    if (!r.datasets.length) return null;
    return h(
      'ul',
      { class: 'datasets', 'aria-label': tx('dataset') },
      r.datasets.map((d) =>
        h(
          'li',
          {},
          h('strong', {}, d.name),
          ` (${d.format}) → ${d.layerId}: ${formatNumber(d.features)} ${tx('features')}`,
          d.crs.chosen ? `, ${d.crs.chosen.label}` : '',
          d.encoding.status !== 'not_needed' ? `, ${d.encoding.encoding}` : '',
        ),
      ),
    );
  }

  private list(id: string, title: string, items: readonly string[], always: boolean): HTMLElement | null {
    if (!items.length && !always) return null;
    return h(
      'section',
      { id, class: 'report-list' },
      h('h3', {}, title),
      items.length
        ? h(
            'ul',
            {},
            items.map((text) => h('li', {}, text)),
          )
        : h('p', { class: 'muted' }, tx('none')),
    );
  }

  private counts(r: JobReport): HTMLElement {
    return h(
      'section',
      { id: 'job-counts', class: 'report-list' },
      h('h3', {}, tx('counts')),
      h(
        'dl',
        {},
        Object.entries(r.counts).flatMap(([k, v]) => {
          const key = `count_${k}`;
          return [h('dt', {}, isTextKey(key) ? tx(key) : k), h('dd', { 'data-count': k }, formatNumber(v))];
        }),
      ),
    );
  }

  private confirmationForm(r: JobReport): HTMLElement {
    const c = r.confirmation!;
    if (this.confirmFor !== r.id) {
      this.confirmFor = r.id;
      const proposals = proposalsOf(r.datasets);
      this.choice = {
        srid: proposals[0] ? String(proposals[0].srid) : '',
        own: '',
        encoding:
          r.datasets.find((d) => d.encoding.status === 'needs_confirmation')?.encoding.encoding ??
          encodingsOf(r.datasets)[0] ??
          '',
      };
    }
    const form = h('form', { id: 'confirm-form', class: 'confirm' });
    form.append(
      h('h3', {}, tx('confirmTitle')),
      h(
        'ul',
        { id: 'confirm-reasons', class: 'reasons' },
        c.reasons.map((text) => h('li', {}, text)),
      ),
    );
    const proposals = proposalsOf(r.datasets);
    if (c.crs || proposals.length) {
      const select = h('select', { id: 'confirm-crs', onchange: () => (this.choice.srid = select.value) });
      for (const p of proposals) {
        select.append(
          h('option', { value: String(p.srid), selected: String(p.srid) === this.choice.srid }, `EPSG:${p.srid} — ${p.title}`),
        );
      }
      const own = h('input', {
        id: 'confirm-own-crs',
        type: 'text',
        value: this.choice.own,
        placeholder: 'EPSG:9214 / +proj=tmerc …',
        spellcheck: 'false',
        oninput: () => (this.choice.own = own.value),
      });
      form.append(
        h('div', { class: 'field' }, h('label', { for: 'confirm-crs' }, tx('crs')), select),
        h(
          'ul',
          { id: 'crs-reasons', class: 'proposal-reasons' },
          proposals.map((p) => h('li', {}, h('strong', {}, `EPSG:${p.srid}`), ` ${p.title}: ${p.reasons.join('; ')}`)),
        ),
        h('div', { class: 'field' }, h('label', { for: 'confirm-own-crs' }, tx('crsOwn')), own),
      );
    }
    const encodings = encodingsOf(r.datasets);
    if (c.encoding || encodings.length) {
      const select = h('select', { id: 'confirm-encoding', onchange: () => (this.choice.encoding = select.value) });
      for (const e of encodings) select.append(h('option', { value: e, selected: e === this.choice.encoding }, e));
      form.append(h('div', { class: 'field' }, h('label', { for: 'confirm-encoding' }, tx('encodingPick')), select));
      for (const d of r.datasets) if (d.encoding.candidates.length) form.append(this.previewTable(d.name, d.encoding.candidates));
    }
    form.append(h('button', { type: 'submit', id: 'confirm-button' }, tx('confirm')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const crs = parseOwnCrs(this.choice.own) ?? (this.choice.srid ? { srid: Number(this.choice.srid) } : {});
      this.actions.confirm({ ...crs, ...(this.choice.encoding ? { encoding: this.choice.encoding } : {}) });
    });
    return form;
  }

  private previewTable(name: string, candidates: readonly EncodingCandidate[]): HTMLElement {
    return h(
      'table',
      { class: 'preview' },
      h('caption', {}, `${tx('preview')}: ${name}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, tx('encoding')),
          h('th', { scope: 'col' }, tx('score')),
          h('th', { scope: 'col' }, tx('preview')),
        ),
      ),
      h(
        'tbody',
        {},
        candidates.map((c) =>
          h(
            'tr',
            { 'data-encoding': c.encoding },
            h('th', { scope: 'row' }, c.encoding),
            h('td', {}, c.score === null ? '—' : formatNumber(c.score, 3)),
            h('td', { class: 'samples' }, c.preview.join(' · ')),
          ),
        ),
      ),
    );
  }
}
