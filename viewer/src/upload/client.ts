/**
 * The admin API as the upload page uses it: who the token belongs to, the multipart upload (XMLHttpRequest, for
 * its upload progress events), a job's report, confirm and cancel. Errors carry the server's `{code, description}`.
 */
import type { JobReport, JobStatus, Whoami } from '../../../server/wire/upload.ts';
import { ApiError, apiUrl, authHeaders } from '../api.ts';

// The job report's shape is the server's own (server/wire/upload.ts): one definition both sides compile against.
export type { CrsProposal, DatasetReport, EncodingCandidate, JobReport, JobStatus, Whoami } from '../../../server/wire/upload.ts';

/** The statuses after which a job no longer changes. */
export const finalStatuses: readonly JobStatus[] = ['published', 'failed', 'cancelled'];

/** The answer of POST /admin/jobs/{id}/confirm: a CRS (EPSG code or proj4 string) and an encoding. */
export interface ConfirmAnswer {
  srid?: number;
  proj4?: string;
  encoding?: string;
}

/** An ApiError from a response status and its body text (JSON `{code, description}` when the server wrote it). */
function errorOf(status: number, statusText: string, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { code?: string; description?: string };
    return new ApiError(status, parsed.code ?? 'HttpError', parsed.description ?? `${status} ${statusText}`);
  } catch {
    return new ApiError(status, 'HttpError', `${status} ${statusText}`);
  }
}

async function requestJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      ...init,
      headers: { Accept: 'application/json', ...authHeaders(), ...(init.headers ?? {}) },
    });
  } catch {
    throw new ApiError(0, 'NetworkError', `the server did not answer (${path})`);
  }
  const body = await res.text();
  if (!res.ok) throw errorOf(res.status, res.statusText, body);
  return JSON.parse(body) as T;
}

/** Who the current token belongs to; ApiError 401 without a valid token. */
export function whoami(): Promise<Whoami> {
  return requestJson<Whoami>('admin/whoami');
}

/** A job's current report. */
export function jobReport(id: string): Promise<JobReport> {
  return requestJson<JobReport>(`admin/jobs/${encodeURIComponent(id)}`);
}

/** Sends the uploader's CRS and encoding for a job waiting for confirmation. */
export function confirmJob(id: string, answer: ConfirmAnswer): Promise<JobReport> {
  return requestJson<JobReport>(`admin/jobs/${encodeURIComponent(id)}/confirm`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(answer),
  });
}

/** Cancels a job (waiting, queued or running). */
export function cancelJob(id: string): Promise<JobReport> {
  return requestJson<JobReport>(`admin/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
}

/** The bounds of a layer (EPSG:4326 [minLon, minLat, maxLon, maxLat]) from GET /collections/{id}, or null. */
export async function layerBounds(id: string): Promise<[number, number, number, number] | null> {
  const doc = await requestJson<{ extent?: { spatial?: { bbox?: number[][] } } }>(`collections/${encodeURIComponent(id)}`);
  const bbox = doc.extent?.spatial?.bbox?.[0];
  return bbox && bbox.length === 4 && bbox.every(Number.isFinite) ? (bbox as [number, number, number, number]) : null;
}

/**
 * POSTs the form to /admin/layers with XMLHttpRequest, whose `upload.onprogress` reports the bytes sent (fetch has
 * no upload progress). Resolves with the 202 job report; rejects with the server's ApiError otherwise.
 */
export function uploadLayer(form: FormData, onProgress: (sent: number, total: number) => void): Promise<JobReport> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl('admin/layers'));
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) onProgress(ev.loaded, ev.total);
    };
    xhr.onload = () => {
      if (xhr.status === 202 || xhr.status === 200) {
        try {
          resolve(JSON.parse(xhr.responseText) as JobReport);
        } catch {
          reject(new ApiError(xhr.status, 'HttpError', 'the server answered with something other than a job report'));
        }
      } else reject(errorOf(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', 'the server did not answer (admin/layers)'));
    xhr.send(form);
  });
}
