/**
 * The upload page in a real browser (issue 6, "done means"): an editor uploads a zipped VN-2000 TM-3 107-00
 * Shapefile with TCVN3 text through /viewer/upload.html, sees the progress bar, confirms the proposed EPSG:9214 and
 * TCVN3 (whose preview reads as Vietnamese), follows the job to `published`, and opens the map link, which shows the
 * restricted layer at the control points (within 1 m) with the right names. Debian's Chromium, headless, every
 * non-loopback request blocked; screenshots in test-output/.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Map as LeafletMap } from 'leaflet';
import { type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend, type BackendName } from '../support/servers.ts';
import { controlPoints, metres, vn2000ControlPointShapefile } from '../fixtures/upload/builders.ts';
import { dropUploadedLayer, tokenFor } from '../fixtures/upload/http.ts';

/**
 * The window of the pages under test: the viewer's map and its self-report (viewer/src/main.ts), and the values
 * the send progress bar showed (recorded by this test). Cast locally: viewer-browser.test.ts declares the globals.
 */
type TestWindow = Window & {
  viewerMap: LeafletMap;
  viewerStats: { allTilesMs: number | null; ready: boolean; layers: string[] };
  sendProgressSeen: number[];
};

const outputDir = screenshotDir;
const layerId = 'control_points_page';

/** The control-point Shapefile with a scanned survey sheet beside it (512 KB that do not compress), so sending takes a while. */
const vn2000Shapefile = () =>
  vn2000ControlPointShapefile('diem_khong_che', { extraFiles: { 'so_do_mia.pdf': randomBytes(512 * 1024) } });

forEachBackend('upload page in a browser', (server, backend: BackendName) => {
  let context: BrowserContext;
  let page: Page;
  let browser: ClosedNetworkBrowser | undefined;
  let blocked: string[] = [];
  let pageErrors: string[] = [];
  let step = 0;

  const shot = async (p: Page, name: string) => {
    step++;
    const file = path.join(outputDir, `upload-page-${backend}-${String(step).padStart(2, '0')}-${name}.png`);
    await p.screenshot({ path: file, fullPage: true });
  };

  before(async function () {
    requireTool(this, chromiumPath !== '', 'upload page: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    await dropUploadedLayer(server(), layerId);
    browser = await openClosedNetworkBrowser({ width: 1200, height: 900 });
    ({ context, page, blocked, pageErrors } = browser);
  });

  after(async () => {
    await browser?.close();
  });

  it('labels every control and says plainly when a token is not valid or may not upload', async () => {
    await page.goto(`${server().url}/viewer/upload.html`);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('input, select, textarea')]
        .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.id || el.name),
    );
    expect(unlabelled).to.deep.equal([]);
    expect(await page.locator('h1').textContent()).to.equal('Tải lớp bản đồ lên');

    await page.locator('#token').fill('not-a-token');
    await page.locator('#token').press('Enter');
    await page.waitForFunction(() => /401/.test(document.getElementById('token-status')!.textContent ?? ''));
    await shot(page, 'token-401');

    const viewer = await tokenFor(server(), 'viewer', 'Người xem');
    await page.locator('#token').fill(viewer);
    await page.locator('#token-check').click();
    await page.waitForFunction(() => document.getElementById('token-status')!.dataset.role === 'viewer');
    expect(await page.locator('#token-status').textContent()).to.contain('editor');
  });

  it('uploads the VN-2000 Shapefile with progress, confirms EPSG:9214 and TCVN3, and links to the layer on the map', async function () {
    this.timeout(120_000);
    const editor = await tokenFor(server(), 'editor', 'Biên tập viên trang tải lên');
    const { zip, names } = await vn2000Shapefile();
    const points = controlPoints();

    await page.locator('#token').fill(editor);
    await page.locator('#token-check').click();
    await page.waitForFunction(() => document.getElementById('token-status')!.dataset.role === 'editor');

    await page.locator('#file').setInputFiles({ name: 'Điểm khống chế.zip', mimeType: 'application/zip', buffer: zip });
    await page.locator('#layer-id').fill(layerId);
    await page.locator('#title-vi').fill('Điểm khống chế (trang tải lên)');
    await page.locator('#title').fill('Control points (upload page)');
    await page.locator('#access').selectOption('restricted');
    await page.locator('#attribution').fill('Sở Tài nguyên và Môi trường');
    await shot(page, 'form');

    // Record every value the send progress bar shows; sending is throttled to 256 KB/s so it shows more than its end.
    await page.evaluate(() => {
      const w = window as unknown as TestWindow;
      w.sendProgressSeen = [];
      const bar = document.getElementById('send-progress') as HTMLProgressElement;
      new MutationObserver(() => {
        if (!bar.hidden) w.sendProgressSeen.push(bar.value);
      }).observe(bar, { attributes: true });
      const timer = setInterval(() => {
        if (!bar.hidden) w.sendProgressSeen.push(bar.value);
        if (w.sendProgressSeen.at(-1) === 100) clearInterval(timer);
      }, 10);
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await page.locator('#upload-button').click();
    await page.waitForFunction(
      () => {
        const bar = document.getElementById('send-progress') as HTMLProgressElement;
        return !bar.hidden && bar.value >= 30 && bar.value <= 80;
      },
      null,
      { timeout: 10_000 },
    );
    await shot(page, 'sending');
    await page.locator('#job-status[data-status="needs_confirmation"]').waitFor({ timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const seen = await page.evaluate(() => (window as unknown as TestWindow).sendProgressSeen);
    console.log(`      send progress seen [${backend}]: ${[...new Set(seen)].join(', ')} (zip of ${zip.length} bytes)`);
    expect(seen).to.include(100);
    expect(
      seen.some((v) => v > 0 && v < 100),
      'progress between 0 and 100 while sending',
    ).to.equal(true);

    // The proposals: EPSG:9214 preselected, TCVN3 preselected, its preview reads as the Vietnamese names.
    expect(await page.locator('#confirm-reasons li').count()).to.be.greaterThan(0);
    expect(await page.locator('#confirm-crs').inputValue()).to.equal('9214');
    expect(await page.locator('#confirm-crs option:checked').textContent()).to.contain('EPSG:9214');
    expect(await page.locator('#crs-reasons').textContent()).to.contain('EPSG:9214');
    expect(await page.locator('#confirm-encoding').inputValue()).to.equal('tcvn3');
    const preview = await page.locator('table.preview tr[data-encoding="tcvn3"] td.samples').textContent();
    expect(preview!.split(' · ')[0]).to.equal(names[0]);
    expect(await page.locator('#job-progress').isVisible()).to.equal(true);
    await shot(page, 'confirm');

    // The English switch changes the page's words, not the answers.
    await page.locator('#lang').click();
    expect(await page.locator('h1').textContent()).to.equal('Upload a map layer');
    expect(await page.locator('#confirm-button').textContent()).to.equal('Confirm and import');
    expect(await page.locator('#confirm-crs').inputValue()).to.equal('9214');
    await shot(page, 'confirm-en');
    await page.locator('#lang').click();

    // Confirm with the keyboard and follow the job to its end.
    await page.locator('#confirm-button').focus();
    await page.keyboard.press('Enter');
    await page.locator('#job-status[data-status="published"]').waitFor({ timeout: 90_000 });
    expect(await page.locator('#job-progress').getAttribute('value')).to.equal('100');
    expect(await page.locator('#job-counts dd[data-count="inserted"]').textContent()).to.equal(String(points.length));
    expect(await page.locator('#job-fixes').textContent()).to.match(/EPSG:9214.*tcvn3/);
    expect(await page.locator('#job-warnings').isVisible()).to.equal(true);
    await page.locator('#map-link').waitFor({ timeout: 15_000 });
    await shot(page, 'published');

    // The map link: the viewer opens on the layer's bounds with the layer on (the tab's token shows it, restricted).
    const href = (await page.locator('#map-link').getAttribute('href'))!;
    expect(href).to.match(new RegExp(`^\\./#map=\\d+/[\\d.]+/[\\d.]+&layers=${layerId}(,|&)`));
    await page.locator('#map-link').click();
    await page.waitForFunction(
      () => {
        const stats = (window as unknown as TestWindow).viewerStats;
        return stats?.ready && stats.allTilesMs !== null;
      },
      null,
      { timeout: 30_000 },
    );
    const view = await page.evaluate(() => {
      const w = window as unknown as TestWindow;
      return { layers: w.viewerStats.layers, bounds: w.viewerMap.getBounds().toBBoxString().split(',').map(Number) };
    });
    expect(view.layers).to.include(layerId);
    expect(await page.locator(`li[data-layer="${layerId}"] input[type="checkbox"]`).first().isChecked()).to.equal(true);
    for (const p of points) {
      expect(p.lon, 'the map shows every control point').to.be.within(view.bounds[0], view.bounds[2]);
      expect(p.lat).to.be.within(view.bounds[1], view.bounds[3]);
    }
    await page.waitForTimeout(500);
    await shot(page, 'map');

    // The features, read with the page's own token: at the control points within 1 m, with the right names.
    const fc = await page.evaluate(async (id) => {
      const res = await fetch(`/collections/${id}/items?limit=100`, {
        headers: { Authorization: `Bearer ${sessionStorage.getItem('sdi-token')}` },
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          features: Array<{ geometry: { coordinates: [number, number] }; properties: { ten: string; stt: number } }>;
        },
      };
    }, layerId);
    expect(fc.status).to.equal(200);
    expect(fc.body.features).to.have.length(points.length);
    for (const f of fc.body.features) {
      const p = points[f.properties.stt - 1];
      expect(metres(f.geometry.coordinates, [p.lon, p.lat]), `point ${f.properties.stt}`).to.be.below(1);
      expect(f.properties.ten).to.equal(names[f.properties.stt - 1]);
    }
    expect((await fetch(`${server().url}/collections/${layerId}/items`)).status, 'restricted: hidden without a token').to.equal(
      404,
    );
    expect(blocked).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });

  it("shows the server's description of a refused upload, and cancels a job waiting for confirmation", async function () {
    this.timeout(60_000);
    const { zip } = await vn2000Shapefile();
    const before = (
      await server().ctx.db.rows<{ data_version: number }>('SELECT data_version FROM layer_catalog WHERE id = ?', [layerId])
    )[0];
    await page.goto(`${server().url}/viewer/upload.html`);
    expect(await page.locator('#token').inputValue(), 'the token is kept for the tab').to.not.equal('');
    await page.locator('#file').setInputFiles({ name: 'diem_khong_che.zip', mimeType: 'application/zip', buffer: zip });
    await page.locator('#layer-id').fill(layerId);
    await page.locator('#upload-button').click();
    await page.locator('#upload-error').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('#upload-error').textContent()).to.match(new RegExp(`409.*${layerId}`));
    await shot(page, 'refused-409');

    await page.locator('#replace').check();
    await page.locator('#access').selectOption('restricted'); // an editor may not change access by replacing
    await page.locator('#upload-button').click();
    await page.locator('#job-status[data-status="needs_confirmation"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#upload-error').isHidden()).to.equal(true);
    await page.locator('#job-cancel').click();
    await page.locator('#job-status[data-status="cancelled"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#job-cancel').count(), 'no cancel button once the job has ended').to.equal(0);
    await shot(page, 'cancelled');
    const after = (
      await server().ctx.db.rows<{ data_version: number }>('SELECT data_version FROM layer_catalog WHERE id = ?', [layerId])
    )[0];
    expect(after).to.deep.equal(before);
    expect(pageErrors).to.deep.equal([]);
  });
});
