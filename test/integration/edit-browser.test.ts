/**
 * Edit mode in a real browser (Chromium, closed network): an editor draws a parcel on a layer it owns, picks its
 * land-use code from the code list (Vietnamese names) and saves; a second, anonymous browser then gets the parcel in
 * the layer's tile and in the identify popup. Then an editor drags a vertex of a parcel onto its neighbour's corner
 * (snapping) and deletes another parcel; its own map redraws at once, an anonymous page sees the moved vertex and not
 * the deleted parcel, and a viewer's token shows no edit controls.
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

async function openViewer(page: Page, url: string, at = centre): Promise<void> {
  await page.goto(`${url}/viewer/`);
  await page.waitForFunction(() => window.viewerStats?.ready === true, undefined, { timeout: 30_000 });
  await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 17, { animate: false }), [at.lat, at.lon]);
  await page.waitForTimeout(500);
}

async function applyToken(page: Page, token: string): Promise<void> {
  await page.locator('#token summary').click();
  await page.locator('#token-input').fill(token);
  await page.locator('#token button').click();
}

/** The page position (CSS px) of a lon/lat on the viewer's map. */
async function pixelOf(page: Page, lon: number, lat: number): Promise<{ x: number; y: number }> {
  const box = (await page.locator('#map').boundingBox())!;
  const p = await page.evaluate(([la, lo]) => window.viewerMap.latLngToContainerPoint([la, lo]), [lat, lon]);
  return { x: box.x + p.x, y: box.y + p.y };
}

/** Features of the edited layer in the tiles a page received (by id, as GeoJSON in EPSG:4326). */
function tileFeatures(bodies: ReceivedTile[]): Map<number, GeoJSON.Feature[]> {
  const byId = new Map<number, GeoJSON.Feature[]>();
  for (const t of bodies) {
    const l = new VectorTile(new PbfReader(t.body)).layers[layerId];
    for (let i = 0; l && i < l.length; i++) {
      const f = l.feature(i);
      byId.set(Number(f.id), [...(byId.get(Number(f.id)) ?? []), f.toGeoJSON(t.x, t.y, t.z) as GeoJSON.Feature]);
    }
  }
  return byId;
}

/** A tile a page received, and when it was asked for (ms since the epoch). */
interface ReceivedTile {
  z: number;
  x: number;
  y: number;
  body: Buffer;
  at: number;
}

/** Collects the tiles of the edited layer a page receives from now on (composite tiles naming it). */
function collectTiles(page: Page): Array<Promise<ReceivedTile | null>> {
  const tiles: Array<Promise<ReceivedTile | null>> = [];
  page.on('response', (res) => {
    const m = /\/tiles\/([^/]+)\/(\d+)\/(\d+)\/(\d+)\.mvt/.exec(new URL(res.url()).pathname);
    if (!m || !m[1].split(',').includes(layerId) || res.status() !== 200) return;
    // When the request started (ms since the epoch): a tile asked for before an edit may arrive after it.
    const [z, x, y, at] = [Number(m[2]), Number(m[3]), Number(m[4]), res.request().timing().startTime];
    tiles.push(
      res
        .body()
        .then((body) => ({ z, x, y, body, at }))
        .catch(() => null),
    );
  });
  return tiles;
}

const settled = async <T>(list: Array<Promise<T | null>>): Promise<T[]> =>
  (await Promise.all(list)).filter((t): t is Awaited<T> => t !== null) as T[];

/** All vertices of a (multi)polygon. */
const verticesOf = (g: GeoJSON.Geometry): number[][] =>
  g.type === 'Polygon' ? g.coordinates.flat() : g.type === 'MultiPolygon' ? g.coordinates.flat(2) : [];

forEachBackend('edit mode in a browser', (server, backend) => {
  let editorBrowser: ClosedNetworkBrowser | undefined;
  let anonymousBrowser: ClosedNetworkBrowser | undefined;
  let reshapeBrowser: ClosedNetworkBrowser | undefined;
  let readerBrowser: ClosedNetworkBrowser | undefined;
  let editor: CreatedToken;
  let viewer: CreatedToken;

  before(async function () {
    requireTool(this, chromiumPath !== '', 'edit: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    const s = server();
    const db = s.ctx.db;
    editor = await createToken(db, `edit browser ${Math.random().toString(36).slice(2, 8)}`, 'editor', cliActor);
    viewer = await createToken(db, `edit browser viewer ${Math.random().toString(36).slice(2, 8)}`, 'viewer', cliActor);
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
    await reshapeBrowser?.close();
    await readerBrowser?.close();
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

  it('lets an editor move a vertex of a parcel (snapping to its neighbour) and delete another; its map redraws at once, an anonymous page sees both changes, a viewer has no edit controls', async function () {
    this.timeout(240_000);
    const s = server();
    const db = s.ctx.db;
    // Two parcels side by side with a gap, in an empty place: A (to reshape) and B (its neighbour, deleted at the end).
    const at = { lat: 21.0432, lon: 106.2611 };
    const side = 0.0005;
    const gap = 0.00025;
    const a = { id: 1001, w: at.lon - gap / 2 - side, s: at.lat - side / 2 };
    const b = { id: 1002, w: at.lon + gap / 2, s: at.lat - side / 2 };
    await db.rows(`DELETE FROM ${layerId} WHERE id IN (1001, 1002)`);
    for (const p of [a, b])
      await db.rows(
        `INSERT INTO ${layerId} (id, src_row, ma_dat, so_thua, geom)
         VALUES (?::int, 0, 'LUA', ?::int, ST_Multi(ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, 4326)))`,
        [p.id, p.id, p.w, p.s, p.w + side, p.s + side],
      );
    // A's north-east corner is dragged to a few pixels off B's north-west corner: snapping puts it exactly there.
    const from = { lon: a.w + side, lat: a.s + side };
    const target = { lon: b.w, lat: b.s + side };

    reshapeBrowser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
    const page = reshapeBrowser.page;
    const seen = collectTiles(page);
    await openViewer(page, s.url, at);
    await applyToken(page, editor.token);
    await page.locator('#edit-toggle').waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('#edit-toggle').click();
    await page.locator('#edit-layer').selectOption(layerId);
    await page.locator('#edit-pick').click();
    const inA = await pixelOf(page, a.w + side / 4, a.s + side / 4);
    await page.mouse.click(inA.x, inA.y);
    await page.locator(`.edit-form[data-feature-id="${a.id}"]`).waitFor({ timeout: 15_000 });
    // The shape is in edit mode (vertex markers), its neighbours are loaded as dashed outlines to snap to.
    await page.waitForFunction(() => document.querySelectorAll('.marker-icon:not(.marker-icon-middle)').length >= 4, undefined, {
      timeout: 10_000,
    });
    await page.locator('path[stroke-dasharray="4 3"]').first().waitFor({ state: 'attached', timeout: 10_000 });
    const start = await pixelOf(page, from.lon, from.lat);
    const end = await pixelOf(page, target.lon, target.lat);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move(end.x - 4, end.y + 3, { steps: 12 });
    await page.waitForTimeout(200);
    await page.mouse.up();
    await page.screenshot({ path: path.join(screenshotDir, `edit-${backend}-reshaped.png`) });
    await page.locator('#edit-field-so_thua').fill('77');
    await page.locator('.edit-save').click();
    await page.locator(`.edit-status[data-feature-id="${a.id}"]`).waitFor({ timeout: 15_000 });

    const saved = (await (await fetch(`${s.url}/collections/${layerId}/items/${a.id}`)).json()) as GeoJSON.Feature;
    expect(saved.properties).to.deep.equal({ ma_dat: 'LUA', so_thua: 77 });
    const corners = verticesOf(saved.geometry);
    const snapped = corners.some(([x, y]) => Math.abs(x - target.lon) < 1e-9 && Math.abs(y - target.lat) < 1e-9);
    expect(snapped, `a vertex of A exactly on B's corner (snapped): ${JSON.stringify(corners)}`).to.equal(true);
    expect(corners.some(([x, y]) => Math.abs(x - from.lon) < 1e-7 && Math.abs(y - from.lat) < 1e-7)).to.equal(false);
    const history = (await (
      await fetch(`${s.url}/collections/${layerId}/items/${a.id}/history`, {
        headers: { Authorization: `Bearer ${editor.token}` },
      })
    ).json()) as { versions: Array<{ action: string; changed: string[] }> };
    expect(history.versions.at(-1)).to.deep.include({ action: 'update' });
    expect(history.versions.at(-1)!.changed).to.have.members(['geometry', 'so_thua']);

    // Delete B, with a confirmation; "No" keeps it.
    await page.locator('#edit-pick').click();
    const inB = await pixelOf(page, b.w + (side * 3) / 4, b.s + side / 4);
    await page.mouse.click(inB.x, inB.y);
    await page.locator(`.edit-form[data-feature-id="${b.id}"]`).waitFor({ timeout: 15_000 });
    await page.locator('#edit-delete').click();
    await page.locator('#edit-delete-cancel').click();
    expect((await fetch(`${s.url}/collections/${layerId}/items/${b.id}`)).status).to.equal(200);
    await page.locator('#edit-delete').click();
    const deleteAt = Date.now();
    const deleteAnswer = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes(`/items/${b.id}`));
    await page.locator('#edit-delete-confirm').click();
    await page.locator(`.edit-status[data-deleted-id="${b.id}"]`).waitFor({ timeout: 15_000 });
    // When the page had the answer: a tile asked for before it may still show B (it may even wait for a database slot
    // until after the commit began); one asked for after it must not.
    const answer = await deleteAnswer;
    await answer.finished();
    const answeredAt = answer.request().timing().startTime + answer.request().timing().responseEnd;
    expect((await fetch(`${s.url}/collections/${layerId}/items/${b.id}`)).status).to.equal(404);
    await page.waitForFunction((t) => Number(document.querySelector('#edit-panel')?.getAttribute('data-redrawn')) > t, deleteAt, {
      timeout: 15_000,
    });
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(screenshotDir, `edit-${backend}-deleted.png`) });
    expect(reshapeBrowser.pageErrors).to.deep.equal([]);
    expect(reshapeBrowser.blocked).to.deep.equal([]);
    // The editor's own map fetched the tiles over the area again after the delete's answer: A moved, B gone.
    const latest = tileFeatures((await settled(seen)).filter((t) => t.at > answeredAt));
    expect([...latest.keys()], "the editor's map after the delete")
      .to.include(a.id)
      .and.not.include(b.id);

    // An anonymous page: A with the snapped vertex in its tile, B nowhere; no edit controls.
    readerBrowser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
    const other = readerBrowser.page;
    const tiles = collectTiles(other);
    await openViewer(other, s.url, at);
    await other.waitForTimeout(1500);
    const features = tileFeatures(await settled(tiles));
    expect([...features.keys()], 'parcels in the anonymous tiles')
      .to.include(a.id)
      .and.not.include(b.id);
    const tileVertices = features.get(a.id)!.flatMap((f) => verticesOf(f.geometry));
    // Tile coordinates are quantised (4096 per 256 px tile at z17: about 7e-7 degrees).
    const near = (p: number[]) => Math.abs(p[0] - target.lon) < 5e-6 && Math.abs(p[1] - target.lat) < 5e-6;
    expect(tileVertices.some(near), 'the moved vertex in the anonymous tile').to.equal(true);
    await other.screenshot({ path: path.join(screenshotDir, `edit-${backend}-reshaped-anonymous.png`) });
    expect(await other.locator('#edit-toggle').isVisible()).to.equal(false);

    // A viewer's token may read but not edit: still no edit controls.
    await applyToken(other, viewer.token);
    await other.waitForTimeout(2500);
    expect(await other.locator('#edit-toggle').isVisible(), 'edit button for a viewer').to.equal(false);
    expect(await other.locator('#edit-panel').isVisible()).to.equal(false);
    expect(readerBrowser.pageErrors).to.deep.equal([]);
  });
});
