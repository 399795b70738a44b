/**
 * The viewer in a real browser: Debian's Chromium, headless, driven by playwright-core, with every request to a
 * non-loopback address blocked (the viewer must work on a closed network). Screenshots of each step go to
 * test-output/. Runs on every backend: the viewer must draw the tiles of both encoders.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Feature, LineString, Polygon } from 'geojson';
import type { Map as LeafletMap } from 'leaflet';
import { type BrowserContext, type Page, type Request } from 'playwright-core';
import { area, bbox, length, pointOnFeature } from '@turf/turf';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend, type BackendName } from '../support/servers.ts';
import { createToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';
import { dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';

declare global {
  interface Window {
    /** The viewer's Leaflet map (set by viewer/src/main.ts). */
    viewerMap: LeafletMap;
    /** What the viewer reports about itself (viewer/src/main.ts). */
    viewerStats: {
      firstDrawMs: number | null;
      allTilesMs: number | null;
      ready: boolean;
      layers: string[];
      summaryGeometry: unknown;
    };
  }
}

const outputDir = screenshotDir;

interface MapView {
  zoom: number;
  lat: number;
  lon: number;
}

async function mapView(page: Page): Promise<MapView> {
  return page.evaluate(() => {
    const c = window.viewerMap.getCenter();
    return { zoom: window.viewerMap.getZoom(), lat: c.lat, lon: c.lng };
  });
}

/** Number of map-tile canvas pixels that are not transparent (something was drawn). */
async function drawnPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let n = 0;
    for (const c of document.querySelectorAll<HTMLCanvasElement>('#map canvas.leaflet-tile')) {
      if (!c.width || !c.height) continue;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 16) if (data[i] > 0) n++;
    }
    return n;
  });
}

/** Waits until the map stops moving and no tile request is in flight. */
async function settle(page: Page, pending: Set<Request>): Promise<void> {
  await page.waitForTimeout(300);
  const until = Date.now() + 15_000;
  while (pending.size && Date.now() < until) await page.waitForTimeout(100);
  await page.waitForTimeout(300);
}

/** Draws a rectangle with the polygon tool, `halfWidth` x `halfHeight` pixels around the map's centre. */
async function drawRectangle(page: Page, halfWidth: number, halfHeight: number): Promise<void> {
  await page.locator('[data-tool="polygon"]').click();
  const box = (await page.locator('#map').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const corners = [
    [-halfWidth, -halfHeight],
    [halfWidth, -halfHeight],
    [halfWidth, halfHeight],
    [-halfWidth, halfHeight],
  ];
  for (const [dx, dy] of corners) {
    await page.mouse.click(cx + dx, cy + dy);
    await page.waitForTimeout(150);
  }
  await page.mouse.click(cx + corners[0][0], cy + corners[0][1]);
}

forEachBackend('viewer in a browser', (server, backend: BackendName) => {
  let context: BrowserContext;
  let page: Page;
  let browser: ClosedNetworkBrowser | undefined;
  let blocked: string[] = [];
  const tileStatus: Array<{ url: string; status: number }> = [];
  const tileRequests: string[] = [];
  const pending = new Set<Request>();
  let pageErrors: string[] = [];
  const cspViolations: string[] = [];
  let step = 0;

  const shot = async (name: string) => {
    step++;
    await page.screenshot({ path: path.join(outputDir, `viewer-${backend}-${String(step).padStart(2, '0')}-${name}.png`) });
  };

  before(async function () {
    requireTool(this, chromiumPath !== '', 'viewer: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    browser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
    ({ context, page, blocked, pageErrors } = browser);
    // The pages run under a Content-Security-Policy without inline script or style: Chromium reports what it refuses.
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('request', (req) => {
      if (req.url().includes('/tiles/')) {
        tileRequests.push(req.url());
        pending.add(req);
      }
    });
    const done = (req: Request) => pending.delete(req);
    page.on('requestfailed', done);
    page.on('requestfinished', async (req) => {
      done(req);
      const res = await req.response();
      if (res && req.url().includes('/tiles/')) tileStatus.push({ url: req.url(), status: res.status() });
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('loads the viewer, draws tiles (load time printed), and asks nothing of the outside world', async () => {
    const started = Date.now();
    await page.goto(`${server().url}/viewer/`);
    await page.waitForFunction(() => window.viewerStats?.allTilesMs !== null, null, { timeout: 30_000 });
    const { firstDrawMs, allTilesMs, layers } = await page.evaluate(() => window.viewerStats);
    console.log(
      `      viewer load time [${backend}]: first tiles drawn ${firstDrawMs} ms after navigation; ` +
        `every visible layer drawn ${allTilesMs} ms (${tileStatus.length} tile requests; ${Date.now() - started} ms wall clock)`,
    );
    await settle(page, pending);
    await shot('loaded');
    expect(layers).to.include.members(['admin_communes', 'landuse_parcels']);
    expect(tileStatus.length).to.be.greaterThan(0);
    for (const t of tileStatus) expect([200, 204, 304], t.url).to.include(t.status);
    expect(tileStatus.some((t) => t.status === 200)).to.equal(true);
    // Labels are drawn from the same tiles as the fills: no tile is asked for twice.
    expect(tileRequests.length - new Set(tileRequests).size, 'repeated tile requests').to.equal(0);
    // The first view is drawn once, with today's units only: the old units (hidden by the default vintage) are left
    // out before the first tile is asked for, not hidden afterwards (which fetched the view again once per layer).
    // Each composite (a run of up to 16 layers; more runs when other tests have uploaded layers) asks one set of
    // layers, and no layer is in two sets: a layer hidden after the first drawing would be in the sets before and after.
    const layerSets = [...new Set(tileRequests.map((u) => decodeURIComponent(new URL(u).pathname.split('/')[2])))];
    const drawn = layerSets.flatMap((set) => set.split(','));
    expect(drawn.length - new Set(drawn).size, `layers in two sets of the first view: ${layerSets.join(' | ')}`).to.equal(0);
    expect(drawn).to.include('admin_communes_2025').and.not.to.include('admin_districts');
    expect(await drawnPixels(page)).to.be.greaterThan(1000);
    // The load time is a figure to read (goal: under 3 s on a quiet machine), not a pass mark: a loaded CI machine
    // drew the first tiles in 3.08 s once. The bound here only catches a viewer that no longer draws in time at all.
    expect(firstDrawMs).to.be.below(10_000);
    expect(blocked).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });

  it('stops requesting the tiles of a layer that is switched off', async () => {
    await page.locator('#layer-landuse_parcels').uncheck();
    tileRequests.length = 0;
    try {
      // A new zoom level needs new tiles from every visible layer.
      await page.evaluate(() => window.viewerMap.setZoom(window.viewerMap.getZoom() + 1, { animate: false }));
      await settle(page, pending);
      await shot('landuse-off');
      expect(tileRequests.filter((u) => new URL(u).pathname.split(/[/,]/).includes('landuse_parcels'))).to.deep.equal([]);
      expect(tileRequests.length, 'other layers still load').to.be.greaterThan(0);
      expect(page.url())
        .to.match(/layers=[^&]*/)
        .and.not.to.match(/layers=[^&]*landuse_parcels/);
    } finally {
      await page.locator('#layer-landuse_parcels').check();
    }
  });

  it('shows the land-use code of a clicked parcel in the popup, by mouse and by keyboard', async () => {
    const items = (await (await fetch(`${server().url}/collections/landuse_parcels/items?limit=1`)).json()) as {
      features: Feature[];
    };
    const parcel = items.features[0];
    const code = String(parcel.properties!.code);
    const [lon, lat] = pointOnFeature(parcel).geometry.coordinates;
    await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 17, { animate: false }), [lat, lon]);
    await settle(page, pending);
    const p = await page.evaluate(([la, lo]) => window.viewerMap.latLngToContainerPoint([la, lo]), [lat, lon]);
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.click(box.x + p.x, box.y + p.y);
    const cell = page.locator('.leaflet-popup-content section[data-layer="landuse_parcels"] tr[data-column="code"] td').first();
    // Present, perhaps folded under a more specific feature of an uploaded layer (the shared test server has many).
    await cell.waitFor({ state: 'attached', timeout: 10_000 });
    await shot('parcel-popup');
    expect(await cell.textContent()).to.contain(code);
    // The most specific layer first and open; the commune before its district and province, those one click away.
    const order = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.leaflet-popup-content section[data-layer]')].map((el) => ({
        layer: el.dataset.layer!,
        open: el.querySelector('details')!.open,
      })),
    );
    // (Which layer is first depends on what else lies at the point: the plan of 2030, an uploaded test layer.)
    expect(order[0].open).to.equal(true);
    expect(order.map((o) => o.layer)).to.include('landuse_parcels');
    expect(order.slice(1).every((o) => !o.open)).to.equal(true);
    const admin = order.map((o) => o.layer).filter((l) => l.startsWith('admin_'));
    // Most specific first within each vintage: today's unit, the 2009 commune it was, then the larger units.
    const specificFirst = ['admin_communes_2025', 'admin_communes', 'admin_districts', 'admin_provinces_2025', 'admin_provinces'];
    // Identify answers a bounded number of features: with many uploaded test layers at the point, not every unit fits.
    expect(admin.length).to.be.above(0);
    expect(admin).to.deep.equal(specificFirst.filter((l) => admin.includes(l)));
    // One language at a time: the Vietnamese page shows the land use's Vietnamese name, not its English one.
    const parcelSection = page.locator('.leaflet-popup-content section[data-layer="landuse_parcels"]');
    expect(await parcelSection.locator('tr[data-column="name_vi"]').count()).to.equal(1);
    expect(await parcelSection.locator('tr[data-column="name_en"]').count()).to.equal(0);
    await page.evaluate(() => window.viewerMap.closePopup());
    // The same from the keyboard: with the parcel at the centre (a popup may have panned the map), Enter identifies there.
    await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 17, { animate: false }), [lat, lon]);
    await page.locator('#map').focus();
    await page.keyboard.press('Enter');
    await cell.waitFor({ state: 'attached', timeout: 10_000 });
    expect(await cell.textContent()).to.contain(code);
    await page.evaluate(() => window.viewerMap.closePopup());
  });

  it('summarises a drawn polygon with a chart and totals equal to POST /query/summary', async () => {
    await page.evaluate(() => window.viewerMap.setZoom(14, { animate: false }));
    await settle(page, pending);
    await drawRectangle(page, 220, 150);
    const totals = page.locator('#summary-panel section[data-layer="landuse_parcels"] .totals');
    await totals.waitFor({ timeout: 20_000 });
    await shot('summary');
    const geometry = (await page.evaluate(() => window.viewerStats.summaryGeometry)) as Polygon;
    expect(geometry.type).to.equal('Polygon');
    const res = await fetch(`${server().url}/query/summary`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ layer: 'landuse_parcels', geometry, groupBy: 'code' }),
    });
    expect(res.status).to.equal(200);
    const expected = (await res.json()) as {
      groups: Array<{ count: number; area_ha: number }>;
      total?: { count: number; area_ha: number };
    };
    const count = expected.total?.count ?? expected.groups.reduce((s, g) => s + Number(g.count), 0);
    const areaHa = expected.total?.area_ha ?? expected.groups.reduce((s, g) => s + Number(g.area_ha), 0);
    expect(count).to.be.greaterThan(0);
    expect(Number(await totals.getAttribute('data-total-count'))).to.equal(Number(count));
    expect(Number(await totals.getAttribute('data-total-area-ha'))).to.be.closeTo(Number(areaHa), 0.001);
    const bars = page.locator('#summary-panel section[data-layer="landuse_parcels"] svg.chart g.bar');
    expect(await bars.count()).to.equal(expected.groups.filter((g) => Number(g.count) > 0).length);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#summary-panel section[data-layer="landuse_parcels"] button.csv').click(),
    ]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).to.equal('layer,code,label,count,area_ha,length_km');
    expect(lines.length - 1).to.equal(expected.groups.length);
    expect(lines.slice(1).reduce((n, l) => n + Number(l.split(',').at(-3)), 0)).to.equal(Number(count));
  });

  it('shows what the land-use plan changes when the drawn area touches the plan, as POST /query/conversions says', async () => {
    // Centre the map on a parcel the plan changes, then draw the same rectangle as above.
    const [p] = await server().ctx.db.rows<{ lon: number; lat: number }>(
      'SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM landuse_plan_2030 WHERE changed ORDER BY area_m2 DESC LIMIT 1',
    );
    await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 15, { animate: false }), [p.lat, p.lon]);
    await settle(page, pending);
    await drawRectangle(page, 200, 140);
    const section = page.locator('#summary-panel section.conversions[data-layer="landuse_plan_2030"]');
    const totals = section.locator('.totals');
    await totals.waitFor({ timeout: 30_000 });
    await section.scrollIntoViewIfNeeded();
    await shot('plan-conversions');
    const geometry = (await page.evaluate(() => window.viewerStats.summaryGeometry)) as Polygon;
    const res = await fetch(`${server().url}/query/conversions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ layer: 'landuse_plan_2030', geometry }),
    });
    expect(res.status).to.equal(200);
    const expected = (await res.json()) as {
      total: { changed_ha: number };
      conversions: Array<{ from: { code: string }; to: { code: string; vi: string } }>;
    };
    expect(expected.total.changed_ha).to.be.greaterThan(0);
    expect(Number(await totals.getAttribute('data-changed-ha'))).to.be.closeTo(expected.total.changed_ha, 0.0001);
    const first = section.locator('table.conversion-table').first().locator('tbody tr').first();
    expect(await first.getAttribute('data-from')).to.equal(expected.conversions[0].from.code);
    expect(await first.getAttribute('data-to')).to.equal(expected.conversions[0].to.code);
    expect(await first.textContent()).to.contain(expected.conversions[0].to.vi);
    expect(await section.locator('h3').textContent()).to.contain('Chuyển mục đích sử dụng đất theo quy hoạch');
    // The panel's CSV is the server's f=csv of the same shape, line for line (both write server/wire's rows).
    const [download] = await Promise.all([page.waitForEvent('download'), section.locator('button.csv').click()]);
    const served = await fetch(`${server().url}/query/conversions?f=csv`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ layer: 'landuse_plan_2030', geometry }),
    });
    expect(served.status).to.equal(200);
    const csvLines = (text: string) =>
      text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
    expect(csvLines(fs.readFileSync((await download.path())!, 'utf8'))).to.deep.equal(csvLines(await served.text()));
    expect(cspViolations).to.deep.equal([]);
  });

  it('measures a distance and an area on the ellipsoid', async () => {
    await page.locator('[data-tool="clear"]').click();
    const box = (await page.locator('#map').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.locator('[data-tool="distance"]').click();
    await page.mouse.click(cx - 150, cy);
    await page.waitForTimeout(150);
    await page.mouse.dblclick(cx + 150, cy + 100);
    await page.locator('.measure-label').first().waitFor({ timeout: 5_000 });
    await page.locator('[data-tool="area"]').click();
    for (const [x, y] of [
      [cx - 100, cy - 50],
      [cx + 100, cy - 50],
      [cx, cy + 120],
      [cx - 100, cy - 50],
    ]) {
      await page.mouse.click(x, y);
      await page.waitForTimeout(150);
    }
    await page.locator('.measure-label').nth(1).waitFor({ timeout: 5_000 });
    await shot('measure');
    // Each measured shape with its label, read from the map itself.
    const measured = await page.evaluate(() => {
      const out: Array<{ label: string; geometry: unknown }> = [];
      window.viewerMap.eachLayer((l) => {
        const tip = (l as unknown as { getTooltip?: () => { getContent(): unknown } | undefined }).getTooltip?.();
        const geo = (l as unknown as { toGeoJSON?: () => { geometry: unknown } }).toGeoJSON;
        const content = tip?.getContent();
        // The viewer builds tooltips as elements (text is never parsed as HTML).
        if (tip && geo)
          out.push({
            label: content instanceof Element ? (content.textContent ?? '') : String(content),
            geometry: geo.call(l).geometry,
          });
      });
      return out;
    });
    expect(measured.length).to.equal(2);
    // Labels are in Vietnamese here: "1.234,5 km" (thousands dot, decimal comma).
    const value = (label: string) => Number(/([\d.,]+)\s*(km|m²|m|ha)/.exec(label)![1].replace(/\./g, '').replace(',', '.'));
    const line = measured.find((m) => (m.geometry as LineString).type === 'LineString')!;
    const shape = measured.find((m) => (m.geometry as Polygon).type === 'Polygon')!;
    const metres =
      length({ type: 'Feature', properties: {}, geometry: line.geometry as LineString }, { units: 'kilometers' }) * 1000;
    expect(value(line.label) * (/km/.test(line.label) ? 1000 : 1)).to.be.closeTo(metres, metres * 0.005 + 1);
    expect(metres).to.be.greaterThan(100);
    const squareMetres = area(shape.geometry as Polygon);
    expect(value(shape.label) * (/ha/.test(shape.label) ? 10_000 : 1)).to.be.closeTo(squareMetres, squareMetres * 0.005 + 1);
    await page.locator('[data-tool="clear"]').click();
  });

  it('shows restricted BTS stations with a token and summarises them by operator, then technology', async () => {
    const { token } = await createToken(server().ctx.db, 'viewer browser test', 'viewer', cliActor);
    expect(await page.locator('#layer-bts_stations').count(), 'hidden from anonymous users').to.equal(0);
    await page.locator('#token summary').click();
    await page.locator('#token-input').fill(token);
    await page.locator('#token button').click();
    await page.locator('#layer-bts_stations').waitFor({ timeout: 10_000 });
    await page.evaluate(() => window.viewerMap.setZoom(11, { animate: false }));
    await settle(page, pending);
    await page.locator('[data-tool="polygon"]').click();
    const box = (await page.locator('#map').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    for (const [dx, dy] of [
      [-200, -150],
      [200, -150],
      [200, 150],
      [-200, 150],
      [-200, -150],
    ]) {
      await page.mouse.click(cx + dx, cy + dy);
      await page.waitForTimeout(150);
    }
    const section = page.locator('#summary-panel section[data-layer="bts_stations"]');
    // Every visible layer is summarised (the shared test server shows dozens of uploaded ones), two at a time.
    await section.locator('.totals').waitFor({ timeout: 60_000 });
    await section.locator('select').nth(1).selectOption('technology');
    await section.locator('.totals').waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => !document.querySelector('#summary-panel section[data-layer="bts_stations"][aria-busy]'));
    await shot('bts-summary');
    const geometry = (await page.evaluate(() => window.viewerStats.summaryGeometry)) as Polygon;
    const res = await fetch(`${server().url}/query/summary`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ layer: 'bts_stations', geometry, groupBy: ['operator', 'technology'] }),
    });
    expect(res.status).to.equal(200);
    const expected = (await res.json()) as { groups: Array<{ count: number }>; total: { count: number } };
    expect(expected.total.count).to.be.greaterThan(0);
    expect(Number(await section.locator('.totals').getAttribute('data-total-count'))).to.equal(expected.total.count);
    expect(await section.locator('svg.chart g.bar').count()).to.equal(expected.groups.length);
    expect(await section.locator('svg.chart g.bar').first().getAttribute('aria-label')).to.match(/ \/ [2-5]G:/);
    await page.locator('#token-input').fill('');
    await page.locator('#token button').click();
    await page.locator('#layer-bts_stations').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('finds "bac giang" typed without diacritics and lands on it', async () => {
    await page.locator('#summary-panel .panel-close').click();
    const fold = (text: string) =>
      text
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/đ/gi, 'd')
        .toLowerCase();
    const results = (await (await fetch(`${server().url}/search?q=${encodeURIComponent('bac giang')}`)).json()) as {
      results: Array<{ name: string; fullName?: string | null; bbox: [number, number, number, number] }>;
    };
    expect(results.results.length).to.be.greaterThan(0);
    expect(fold(results.results[0].name)).to.contain('bac giang');
    await page.locator('#search-input').fill('bac giang');
    const option = page.locator('#search-results [role="option"]').first();
    await option.waitFor({ timeout: 10_000 });
    expect(fold((await option.textContent()) ?? '')).to.contain('bac giang');
    await page.locator('#search-input').press('Enter');
    await page.waitForTimeout(800);
    await settle(page, pending);
    await shot('search-bac-giang');
    // The viewer writes the chosen result's name into the box; the map must sit inside that result's bbox.
    const chosen = await page.locator('#search-input').inputValue();
    const result = results.results.find((r) => (r.fullName || r.name) === chosen);
    expect(result, `"${chosen}" among the search results`).not.to.equal(undefined);
    const view = await mapView(page);
    const [x1, y1, x2, y2] = result!.bbox;
    expect(view.lon).to.be.within(x1 - 0.01, x2 + 0.01);
    expect(view.lat).to.be.within(y1 - 0.01, y2 + 0.01);
    expect(view.zoom).to.be.at.least(9);
  });

  it('reopens the permalink with the same view, layers and language', async () => {
    await page.locator('#layer-bts_stations, #layer-roads').first().uncheck();
    await page.locator('#lang').click();
    await page.waitForTimeout(300);
    const link = page.url();
    const before = await mapView(page);
    const visible = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('#layer-panel input[type="checkbox"]')]
        .filter((c) => c.checked)
        .map((c) => c.id),
    );
    const again = await context.newPage();
    try {
      await again.goto(link);
      await again.waitForFunction(() => window.viewerStats?.firstDrawMs !== null, null, { timeout: 20_000 });
      await again.waitForTimeout(500);
      const p = page;
      page = again;
      await shot('permalink');
      page = p;
      const after = await mapView(again);
      expect(after.zoom).to.equal(before.zoom);
      expect(after.lat).to.be.closeTo(before.lat, 1e-4);
      expect(after.lon).to.be.closeTo(before.lon, 1e-4);
      const visibleAfter = await again.evaluate(() =>
        [...document.querySelectorAll<HTMLInputElement>('#layer-panel input[type="checkbox"]')]
          .filter((c) => c.checked)
          .map((c) => c.id),
      );
      expect(visibleAfter.sort()).to.deep.equal(visible.sort());
      expect(await again.evaluate(() => document.documentElement.lang)).to.equal('en');
    } finally {
      await again.close();
    }
  });

  it('shows an uploaded layer in the panel and draws it, with no change to the viewer', async () => {
    const id = 'viewer_upload_check';
    await dropUploadedLayer(server(), id);
    const editor = await tokenFor(server(), 'editor');
    const square = (x: number, y: number, d: number) => [
      [
        [x, y],
        [x + d, y],
        [x + d, y + d],
        [x, y + d],
        [x, y],
      ],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { ten: 'Khu quy hoạch mới' },
          geometry: { type: 'Polygon', coordinates: square(106.05, 21.17, 0.01) },
        },
        {
          type: 'Feature',
          properties: { ten: 'Khu tái định cư' },
          geometry: { type: 'Polygon', coordinates: square(106.07, 21.17, 0.01) },
        },
      ],
    };
    const res = await upload(
      server(),
      editor,
      { name: 'quy_hoach.geojson', bytes: JSON.stringify(fc) },
      { id, title: 'Khu quy hoạch (tải lên)' },
    );
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(server(), editor, ((await res.json()) as { id: string }).id);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    const uploaded = await context.newPage();
    const statuses: number[] = [];
    uploaded.on('response', (r) => {
      if (r.url().includes('/tiles/') && new URL(r.url()).pathname.split(/[/,]/).includes(id)) statuses.push(r.status()); // composite tiles
    });
    try {
      await uploaded.goto(`${server().url}/viewer/#map=14/21.175/106.07&lang=en`);
      const row = uploaded.locator(`#layer-${id}`);
      await row.waitFor({ timeout: 15_000 });
      await uploaded.waitForFunction(() => window.viewerStats?.allTilesMs !== null, null, { timeout: 30_000 });
      await uploaded.screenshot({ path: path.join(outputDir, `viewer-${backend}-08-uploaded-layer.png`) });
      const group = await uploaded
        .locator(`li[data-layer="${id}"]`)
        .evaluate((li) => li.closest('section')!.getAttribute('data-group'));
      expect(group).to.equal(server().ctx.catalog.find(id)!.group);
      expect(statuses).to.include(200);
    } finally {
      await uploaded.close();
      await dropUploadedLayer(server(), id);
    }
  });

  it('says which layer failed when its tiles answer 500, and that the server is down when it is', async () => {
    const failing = await context.newPage();
    try {
      const parcelTiles = (u: URL) => u.pathname.startsWith('/tiles/') && u.pathname.split(/[/,]/).includes('landuse_parcels');
      await failing.route(parcelTiles, (route) =>
        route.fulfill({
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ code: 'ServerError', description: 'tile query failed' }),
        }),
      );
      await failing.goto(`${server().url}/viewer/#map=14/21.18/106.07&lang=en`);
      const notice = failing.locator('.notice[data-notice="layer:landuse_parcels"]');
      await notice.waitFor({ timeout: 15_000 });
      expect(await notice.textContent()).to.contain('tile query failed');
      await failing.screenshot({ path: path.join(outputDir, `viewer-${backend}-90-layer-failed.png`) });
      await failing.unroute(parcelTiles);
      await failing.route('**/viewer/config.json', (route) => route.abort('connectionrefused'));
      await failing.reload();
      const message = failing.locator('#map-message');
      await message.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await message.textContent()).to.match(/server cannot be reached|Không kết nối/);
      await failing.screenshot({ path: path.join(outputDir, `viewer-${backend}-91-server-down.png`) });
    } finally {
      await failing.close();
    }
    expect(blocked).to.deep.equal([]);
  });

  it("shows each parcel's land-use code once the parcel is large enough on screen, above the fills of every layer", async () => {
    const items = (await (await fetch(`${server().url}/collections/landuse_parcels/items?limit=1`)).json()) as {
      features: Feature[];
    };
    const [x1, , x2] = bbox(items.features[0]);
    const [lon, lat] = pointOnFeature(items.features[0]).geometry.coordinates;
    const widthM = (x2 - x1) * 111_320 * Math.cos((lat * Math.PI) / 180);
    // The zoom at which the parcel is about 150 px wide (Web Mercator, 256 px tiles).
    const zoom = Math.max(10, Math.min(19, Math.floor(Math.log2((150 * 156_543 * Math.cos((lat * Math.PI) / 180)) / widthM))));
    const only = await context.newPage();
    try {
      await only.goto(`${server().url}/viewer/#map=${zoom}/${lat}/${lon}&layers=landuse_parcels`);
      await only.waitForFunction(() => window.viewerStats?.allTilesMs !== null, null, { timeout: 30_000 });
      await only.waitForTimeout(1500);
      await only.screenshot({ path: path.join(outputDir, `viewer-${backend}-09-parcel-codes.png`) });
      const pane = await only.evaluate(() => {
        const el = document.querySelector<HTMLElement>('.leaflet-labels-pane')!;
        let drawn = 0;
        for (const c of el.querySelectorAll<HTMLCanvasElement>('canvas.leaflet-tile')) {
          if (!c.width || !c.height) continue;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 16) if (data[i] > 0) drawn++;
        }
        const tilePane = document.querySelector<HTMLElement>('.leaflet-tile-pane')!;
        return { drawn, zIndex: Number(getComputedStyle(el).zIndex), tilePane: Number(getComputedStyle(tilePane).zIndex) };
      });
      // One code with its halo draws about 90 of the sampled pixels. Only parcels that lie whole inside one data tile
      // are labelled (a parcel cut by a tile edge would be labelled once per tile), so a view may hold only a few.
      // The labeller's own index: which features it labelled (their dedup keys: layer#id).
      const keys = await only.evaluate(() => {
        const out: string[] = [];
        window.viewerMap.eachLayer((l) => {
          const labelers = (l as unknown as { labelers?: { labelers: Map<number, { index: { tree: { all(): unknown[] } } }> } })
            .labelers;
          for (const labeler of labelers?.labelers.values() ?? [])
            for (const item of labeler.index.tree.all() as Array<{ indexedLabel: { deduplicationKey?: string } }>)
              out.push(item.indexedLabel.deduplicationKey ?? '');
        });
        return out;
      });
      // One code with its halo draws about 90 of the sampled pixels. At this zoom most parcels are cut by a tile
      // edge: each is labelled once (its pieces share the feature id), none twice, and a dozen or more are labelled.
      expect(keys.filter((k) => k.startsWith('landuse_parcels#')).length, 'parcels labelled').to.be.at.least(10);
      expect(keys.length - new Set(keys).size, 'parcels labelled twice').to.equal(0);
      expect(pane.drawn, `label pixels at z${zoom}`).to.be.greaterThan(900);
      expect(pane.zIndex).to.be.greaterThan(pane.tilePane);
    } finally {
      await only.close();
    }
  });

  it('needed nothing that its Content-Security-Policy forbids, through every step above', async () => {
    const res = await fetch(`${server().url}/viewer/`);
    expect(res.headers.get('content-security-policy')).to.match(/script-src 'self'/);
    expect(cspViolations).to.deep.equal([]);
  });
});
