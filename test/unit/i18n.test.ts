import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { layerGroups } from '../../viewer/src/layer-groups.ts';
import { viewerTexts } from '../../viewer/src/i18n.ts';
import { uploadTexts } from '../../viewer/src/upload/texts.ts';
import type { JobStatus } from '../../viewer/src/upload/client.ts';
import { zeroCounts } from '../../server/upload/jobs.ts';

const viewerDir = path.resolve(import.meta.dirname, '..', '..', 'viewer');

/** The TypeScript files under `dir`, recursively. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The literal keys passed to `fn('key')` in the given files. */
function literalKeys(files: string[], fn: string): Set<string> {
  const keys = new Set<string>();
  const call = new RegExp(`\\b${fn}\\('([A-Za-z0-9_]+)'`, 'g');
  for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(call)) keys.add(m[1]);
  return keys;
}

/** Every job status; the type check fails when the client's JobStatus gains one that is not listed. */
const statuses = ['inspecting', 'needs_confirmation', 'queued', 'running', 'published', 'failed', 'cancelled'] as const;
const statusesAreJobStatuses: readonly JobStatus[] = statuses;
const everyStatusListed: Exclude<JobStatus, (typeof statuses)[number]> extends never ? true : never = true;

describe('the vi and en dictionaries of the viewer and the upload page', () => {
  for (const [name, dictionary] of [
    ['viewer', viewerTexts],
    ['upload page', uploadTexts],
  ] as const) {
    it(`gives every ${name} text in Vietnamese and in English`, () => {
      const entries = Object.entries(dictionary as Record<string, { vi: string; en: string }>);
      const missing = entries.filter(([, l]) => !l.vi.trim() || !l.en.trim()).map(([k]) => k);
      expect(missing).to.deep.equal([]);
    });
  }

  it('covers every key the viewer looks up, including one per layer group', () => {
    // The upload page and the open-data portal (data/) have dictionaries of their own; the portal's t() takes only
    // keys of its dictionary's type, so the type checker holds it to them.
    const own = [`${path.sep}upload${path.sep}`, `${path.sep}data${path.sep}`];
    const files = sources(path.join(viewerDir, 'src')).filter((f) => !own.some((dir) => f.includes(dir)));
    const used = [...literalKeys(files, 't'), ...layerGroups.map((g) => `group_${g}`)];
    expect(used.filter((k) => !(k in viewerTexts))).to.deep.equal([]);
  });

  it('covers every key the upload page looks up: its HTML, its code, every job status, count and layer group', () => {
    const html = fs.readFileSync(path.join(viewerDir, 'upload.html'), 'utf8');
    const inHtml = [...html.matchAll(/data-t="([^"]+)"/g)].map((m) => m[1]);
    expect(inHtml.length).to.be.greaterThan(10);
    const inCode = [...literalKeys(sources(path.join(viewerDir, 'src', 'upload')), 'tx')];
    const dynamic = [
      ...statuses.map((s) => `status_${s}`),
      ...Object.keys(zeroCounts()).map((k) => `count_${k}`),
      ...layerGroups.map((g) => `group_${g}`),
    ];
    expect(everyStatusListed).to.equal(true);
    expect(statusesAreJobStatuses).to.have.length(statuses.length);
    expect([...inHtml, ...inCode, ...dynamic].filter((k) => !(k in uploadTexts))).to.deep.equal([]);
  });
});
