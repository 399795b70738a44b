/**
 * Edit mode in a real browser (Chromium, closed network): an editor draws a parcel on a layer it owns, picks its
 * land-use code from the code list (Vietnamese names) and saves; a second, anonymous browser then gets the parcel in
 * the layer's tile and in the identify popup.
 */
import path from 'node:path';
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { Page } from 'playwright-core';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend } from '../support/servers.ts';
import { createToken, type CreatedToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';

const layerId = 'edb_parcels';
/** An empty place in Bắc Ninh where the test draws (EPSG:4326). */
const centre = { lat: 21.0512, lon: 106.2733 };

async function openViewer(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/viewer/`);
  await page.waitForFunction(() => window.viewerStats?.ready === true, undefined, { timeout: 30_000 });
  await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 17, { animate: false }), [centre.lat, centre.lon]);
  await page.waitForTimeout(500);
}

forEachBackend('edit mode in a browser', (server, backend) => {
  let editorBrowser: ClosedNetworkBrowser | undefined;
  let anonymousBrowser: ClosedNetworkBrowser | undefined;
  let editor: CreatedToken;

  before(async function () {
    requireTool(this, chromiumPath !== '', 'edit: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    const s = server();
    const db = s.ctx.db;
    editor = await createToken(db, `edit browser ${Math.random().toString(36).slice(2, 8)}`, 'editor', cliActor);
    await db.rows('DELETE FROM layer_catalog WHERE id = ?', [layerId]);
    await db.rows('DELETE FROM feature_history WHERE layer_id = ?', [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await db.rows(`CREATE TABLE ${layerId} (id integer PRIMARY KEY, src_row integer NOT NULL, ma_dat text, so_thua integer,
      geom geometry(MultiPolygon, 4326) NOT NULL)`);
    await db.rows(`CREATE INDEX ON ${layerId} USING gist (geom)`);
    const label = (en: string, vi: string) => ({ en, vi });
    await db.knex('layer_catalog').insert({
      id: layerId,
      title: 'Edited parcels',
      title_vi: 'Thửa đất chỉnh sửa',
      layer_group: 'landuse',
      source_table: layerId,
      geometry_type: 'Polygon',
      minzoom: 0,
      maxzoom: 18,
      tile_options: JSON.stringify({}),
      columns: JSON.stringify([
        { name: 'ma_dat', type: 'string', label: label('Land-use code', 'Mã loại đất') },
        { name: 'so_thua', type: 'integer', label: label('Parcel number', 'Số thửa') },
      ]),
      style: JSON.stringify({
        type: 'categorical',
        property: 'ma_dat',
        categories: [
          { value: 'LUA', color: '#ffff64', label: label('LUA: Paddy land', 'LUA: Đất chuyên trồng lúa nước') },
          { value: 'ONT', color: '#ffd0ff', label: label('ONT: Rural residential land', 'ONT: Đất ở tại nông thôn') },
        ],
      }),
      access: 'public',
      origin: 'upload',
      owner: editor.id,
      sort_order: 900,
    });
    await s.ctx.catalog.load();
  });

  after(async () => {
    await editorBrowser?.close();
    await anonymousBrowser?.close();
    const db = server().ctx.db;
    await db.rows('DELETE FROM layer_catalog WHERE id = ?', [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await server().ctx.catalog.load();
  });

  it('lets an editor draw a parcel and set its land-use code; an anonymous page sees it in the tile and the popup; a conflict shows both versions', async function () {
    this.timeout(180_000);
    const s = server();
    editorBrowser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
    const page = editorBrowser.page;
    await openViewer(page, s.url);
    expect(await page.locator('#edit-toggle').isVisible(), 'no edit button without a token').to.equal(false);
    await page.locator('#token summary').click();
    await page.locator('#token-input').fill(editor.token);
    await page.locator('#token button').click();
    await page.locator('#edit-toggle').waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('#edit-toggle').click();
    expect(
      await page.locator('#edit-layer option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
    ).to.deep.equal([layerId]);
    await page.locator('#edit-draw').click();
    const box = (await page.locator('#map').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    const corners = [
      [-60, -40],
      [60, -40],
      [60, 40],
      [-60, 40],
    ];
    for (const [dx, dy] of corners) {
      await page.mouse.click(cx + dx, cy + dy);
      await page.waitForTimeout(300);
    }
    // Close the ring on the first vertex once Geoman has drawn its four vertex markers (slow on a loaded machine).
    await page.waitForFunction(() => document.querySelectorAll('.marker-icon:not(.marker-icon-middle)').length >= 4, undefined, {
      timeout: 10_000,
    });
    await page.mouse.click(cx + corners[0][0], cy + corners[0][1]);
    await page.screenshot({ path: path.join(screenshotDir, `edit-${backend}-drawn.png`) });
    const code = page.locator('#edit-field-ma_dat');
    await code.waitFor({ timeout: 10_000 });
    const labels = await code.locator('option').allTextContents();
    expect(labels).to.include('ONT: Đất ở tại nông thôn');
    await code.selectOption('ONT');
    await page.locator('#edit-field-so_thua').fill('215');
    await page.locator('.edit-save').click();
    const status = page.locator('.edit-status[data-feature-id]');
    await status.waitFor({ timeout: 15_000 });
    const fid = Number(await status.getAttribute('data-feature-id'));
    await page.screenshot({ path: path.join(screenshotDir, `edit-${backend}-saved.png`) });
    expect(editorBrowser.pageErrors).to.deep.equal([]);
    expect(editorBrowser.blocked).to.deep.equal([]);

    const saved = (await (await fetch(`${s.url}/collections/${layerId}/items/${fid}`)).json()) as {
      properties: Record<string, unknown>;
    };
    expect(saved.properties).to.deep.equal({ ma_dat: 'ONT', so_thua: 215 });
    const history = await fetch(`${s.url}/collections/${layerId}/items/${fid}/history`, {
      headers: { Authorization: `Bearer ${editor.token}` },
    });
    expect(((await history.json()) as { versions: Array<{ action: string; actor: string }> }).versions[0]).to.include({
      action: 'create',
      actor: editor.name,
    });

    anonymousBrowser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
    const other = anonymousBrowser.page;
    const tiles: Array<Promise<Buffer | null>> = [];
    other.on('response', (res) => {
      // The viewer asks composite tiles (`/tiles/a,b,c/z/x/y.mvt`): any tile whose layer list names the edited layer.
      const layers = /\/tiles\/([^/]+)\/\d+\/\d+\/\d+\.mvt/.exec(new URL(res.url()).pathname)?.[1].split(',') ?? [];
      if (layers.includes(layerId) && res.status() === 200) tiles.push(res.body().catch(() => null));
    });
    await openViewer(other, s.url);
    await other.waitForTimeout(1500);
    const ids = new Set<number>();
    for (const body of await Promise.all(tiles)) {
      if (!body) continue;
      const l = new VectorTile(new PbfReader(body)).layers[layerId];
      for (let i = 0; l && i < l.length; i++) ids.add(Number(l.feature(i).id));
    }
    expect([...ids], 'the parcel in a tile the anonymous page loaded').to.include(fid);
    const otherBox = (await other.locator('#map').boundingBox())!;
    await other.mouse.click(otherBox.x + otherBox.width / 2, otherBox.y + otherBox.height / 2);
    const cell = other.locator(`.leaflet-popup-content section[data-layer="${layerId}"] tr[data-column="ma_dat"] td`).first();
    await cell.waitFor({ state: 'attached', timeout: 10_000 }); // the popup may fold it under a more specific feature
    await other.screenshot({ path: path.join(screenshotDir, `edit-${backend}-anonymous-popup.png`) });
    expect(await cell.textContent()).to.contain('ONT');
    expect(await other.locator('#edit-toggle').isVisible()).to.equal(false);
    expect(anonymousBrowser.pageErrors).to.deep.equal([]);

    // Back to the editor: change the code while someone else changes the parcel number; the 412 shows both versions.
    await page.locator('#edit-pick').click();
    await page.mouse.click(cx, cy);
    const form = page.locator(`.edit-form[data-feature-id="${fid}"]`);
    await form.waitFor({ timeout: 10_000 });
    expect(await code.inputValue()).to.equal('ONT');
    await code.selectOption('LUA');
    const current = await fetch(`${s.url}/collections/${layerId}/items/${fid}`);
    const meanwhile = await fetch(`${s.url}/collections/${layerId}/items/${fid}`, {
      method: 'PATCH',
      headers: {
        Authorization: `Bearer ${editor.token}`,
        'Content-Type': 'application/json',
        'If-Match': current.headers.get('etag')!,
      },
      body: JSON.stringify({ properties: { so_thua: 300 } }),
    });
    expect(meanwhile.status).to.equal(200);
    await page.locator('.edit-save').click();
    const conflict = page.locator('.edit-conflict');
    await conflict.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(screenshotDir, `edit-${backend}-conflict.png`) });
    expect(await conflict.locator('tr[data-column="so_thua"] td.mine').textContent()).to.equal('215');
    expect(await conflict.locator('tr[data-column="so_thua"] td.theirs').textContent()).to.equal('300');
    expect(await conflict.locator('tr[data-column="ma_dat"] td.mine').textContent()).to.equal('LUA');
    await page.locator('#edit-overwrite').click();
    await page.locator(`.edit-status[data-feature-id="${fid}"]`).waitFor({ timeout: 10_000 });
    const final = (await (await fetch(`${s.url}/collections/${layerId}/items/${fid}`)).json()) as {
      properties: Record<string, unknown>;
    };
    expect(final.properties).to.deep.equal({ ma_dat: 'LUA', so_thua: 215 });
    expect(editorBrowser.pageErrors).to.deep.equal([]);
  });
});
