/**
 * The upload page for GIS staff (`/viewer/upload.html`): check the token's role, send a file with its metadata
 * (progress while sending), confirm the proposed CRS and text encoding, follow the job to its end and open the
 * published layer on the map. The token is the viewer's own (../api.ts, kept for the browser tab), so the map
 * link shows a restricted layer too.
 */
import './upload.css';
import { ApiError, currentToken, loadLayers, setToken } from '../api.ts';
import { currentLang, onLangChange, setLang } from '../i18n.ts';
import {
  cancelJob,
  confirmJob,
  finalStatuses,
  jobReport,
  layerBounds,
  uploadLayer,
  whoami,
  type ConfirmAnswer,
  type JobReport,
} from './client.ts';
import { JobView } from './job-view.ts';
import { mapLinkFor } from './map-link.ts';
import { isTextKey, tx } from './texts.ts';

/** How often a running job is asked for its report (ms). */
const pollMs = 500;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const tokenInput = byId<HTMLInputElement>('token');
const tokenStatus = byId<HTMLParagraphElement>('token-status');
const form = byId<HTMLFormElement>('upload-form');
const uploadButton = byId<HTMLButtonElement>('upload-button');
const sendProgress = byId<HTMLProgressElement>('send-progress');
const sendStatus = byId<HTMLSpanElement>('send-status');
const uploadError = byId<HTMLParagraphElement>('upload-error');

let pollTimer: number | undefined;
/** What the send line says: a text key and the percentage sent (null: nothing is being sent). */
let sending: { key: 'sending' | 'sent'; percent: number } | null = null;
/** The job on show (the last report received). */
let currentJob: JobReport | null = null;
let tokenMessage: () => string = () => '';

const jobView = new JobView(byId('job'), {
  confirm: (answer) => void confirm(answer),
  cancel: () => void cancel(),
});

/** Shows the send progress bar and its words (hidden when nothing is being sent). */
function renderSending(): void {
  sendProgress.hidden = sending === null;
  sendProgress.value = sending?.percent ?? 0;
  sendStatus.textContent = sending ? `${tx(sending.key)}${sending.key === 'sending' ? ` ${sending.percent}%` : ''}` : '';
}

/** Shows an error under the form (null hides it). */
function showError(text: string | null): void {
  uploadError.hidden = text === null;
  uploadError.textContent = text ?? '';
}

/** The message of a failed call: 401/403 in words, else the server's description. */
function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return `${tx('token401')} ${err.message}`;
    if (err.status === 403) return `${tx('token403')} ${err.message}`;
    if (err.status === 0) return `${tx('networkError')}: ${err.message}`;
    return `${tx('uploadFailed')} (${err.status} ${err.code}): ${err.message}`;
  }
  return (err as Error).message;
}

async function checkToken(): Promise<void> {
  setToken(tokenInput.value);
  delete tokenStatus.dataset.state;
  if (!currentToken()) {
    tokenMessage = () => tx('tokenMissing');
  } else {
    try {
      const me = await whoami();
      tokenMessage = () => tx(me.role === 'viewer' ? 'tokenViewerOnly' : 'tokenOk', { name: me.name, role: me.role });
      tokenStatus.dataset.role = me.role;
    } catch (err) {
      tokenMessage = () => describeError(err);
      delete tokenStatus.dataset.role;
      tokenStatus.dataset.state = 'error';
    }
  }
  tokenStatus.textContent = tokenMessage();
}

/** The multipart body: the text fields first (as the server reads them before the file), empty ones left out. */
function formBody(file: File): FormData {
  const body = new FormData();
  const fields = new FormData(form);
  for (const [name, value] of fields) {
    if (name === 'file' || typeof value !== 'string' || value.trim() === '') continue;
    body.append(name, value.trim());
  }
  body.append('file', file, file.name);
  return body;
}

async function submitUpload(): Promise<void> {
  showError(null);
  setToken(tokenInput.value);
  const file = byId<HTMLInputElement>('file').files?.[0];
  if (!currentToken()) return showError(tx('tokenMissing'));
  if (!file) return showError(tx('fileHint'));
  stopPolling();
  uploadButton.disabled = true;
  sending = { key: 'sending', percent: 0 };
  renderSending();
  try {
    const report = await uploadLayer(formBody(file), (sent, total) => {
      sending = { key: sent < total ? 'sending' : 'sent', percent: Math.round((100 * sent) / total) };
      renderSending();
    });
    follow(report);
  } catch (err) {
    sending = null;
    renderSending();
    showError(describeError(err));
  } finally {
    uploadButton.disabled = false;
  }
}

function stopPolling(): void {
  window.clearTimeout(pollTimer);
  pollTimer = undefined;
}

/** Shows a report and keeps asking for the next one until the job ends or waits for the uploader. */
function follow(report: JobReport): void {
  currentJob = report;
  // The job panel's progress bar takes over from the send bar once the server has the file and answered.
  sending = null;
  renderSending();
  jobView.show(report);
  stopPolling();
  if (report.status === 'published') void offerMapLink(report);
  if (finalStatuses.includes(report.status) || report.status === 'needs_confirmation') return;
  pollTimer = window.setTimeout(async () => {
    try {
      const next = await jobReport(report.id);
      showError(null);
      follow(next);
    } catch (err) {
      showError(describeError(err));
      follow(report);
    }
  }, pollMs);
}

async function confirm(answer: ConfirmAnswer): Promise<void> {
  const id = currentJob?.id;
  if (!id) return;
  showError(null);
  try {
    follow(await confirmJob(id, answer));
  } catch (err) {
    showError(describeError(err));
  }
}

async function cancel(): Promise<void> {
  const id = currentJob?.id;
  if (!id) return;
  try {
    follow(await cancelJob(id));
  } catch (err) {
    showError(describeError(err));
  }
}

/** The link to the viewer showing the published layers over the base map, zoomed to their bounds together. */
async function offerMapLink(report: JobReport): Promise<void> {
  const published = report.layers.length ? report.layers.map((l) => l.id) : [report.layerId];
  try {
    const [extents, layers] = await Promise.all([Promise.all(published.map(layerBounds)), loadLayers()]);
    const known = extents.filter((b): b is [number, number, number, number] => b !== null);
    if (!known.length) return;
    const bounds: [number, number, number, number] = [
      Math.min(...known.map((b) => b[0])),
      Math.min(...known.map((b) => b[1])),
      Math.max(...known.map((b) => b[2])),
      Math.max(...known.map((b) => b[3])),
    ];
    const basemap = layers.filter((l) => l.group === 'basemap' && !published.includes(l.id)).map((l) => l.id);
    jobView.setMapLink(mapLinkFor(bounds, [...published, ...basemap], currentLang()));
  } catch (err) {
    showError(describeError(err));
  }
}

function applyTexts(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) {
    const key = el.dataset.t!;
    if (isTextKey(key)) el.textContent = tx(key);
  }
  document.title = tx('pageTitle');
  const lang = byId<HTMLButtonElement>('lang');
  lang.textContent = tx('language');
  lang.setAttribute('aria-label', tx('languageLabel'));
  tokenStatus.textContent = tokenMessage();
  renderSending();
  jobView.render();
  if (currentJob?.status === 'published') void offerMapLink(currentJob);
}

byId('lang').addEventListener('click', () => setLang(currentLang() === 'vi' ? 'en' : 'vi'));
byId<HTMLFormElement>('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void checkToken();
});
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void submitUpload();
});
onLangChange(applyTexts);

const hashLang = new URLSearchParams(window.location.hash.slice(1)).get('lang');
setLang(hashLang === 'en' ? 'en' : 'vi');
document.documentElement.lang = currentLang();
tokenInput.value = currentToken();
applyTexts();
if (currentToken()) void checkToken();
