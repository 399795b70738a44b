import { expect } from 'chai';
import path from 'node:path';
import type { Map as LeafletMap } from 'leaflet';
import type { Page } from 'playwright-core';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';

declare global {
  interface Window {
    /** The viewer's Leaflet map (set by viewer/src/main.ts). */
    viewerMap: LeafletMap;
  }
}

interface ItemsPage {
  numberMatched?: number;
  numberReturned: number;
  features: Array<{ properties: Record<string, unknown> }>;
}

interface SummaryBody {
  total: { count: number; area_ha: number };
  groups: Array<{ key: Record<string, string | null>; count: number; area_ha: number }>;
}

forEachBackend('units as of a date', (server) => {
  const db = () => server().ctx.db;
  const items = async (layer: string, query = ''): Promise<ItemsPage> => {
    const res = await fetch(`${server().url}/collections/${layer}/items?limit=1000${query}`);
    expect(res.status, `${layer} ${query}`).to.equal(200);
    return (await res.json()) as ItemsPage;
  };
  const matched = async (layer: string, query = ''): Promise<number> => (await items(layer, query)).numberMatched!;

  it("answers today by default: the 99 units of 2025 and today's province, no 2009 commune, district or old province", async () => {
    expect(await matched('admin_communes_2025')).to.equal(99);
    expect(await matched('admin_provinces_2025')).to.equal(1);
    expect(await matched('admin_communes')).to.equal(0);
    expect(await matched('admin_districts')).to.equal(0);
    expect(await matched('admin_provinces')).to.equal(0);
  });

  it('answers the old units on 30 June 2025 and the new ones from 1 July 2025', async () => {
    expect(await matched('admin_communes', '&datetime=2025-06-30')).to.equal(358);
    expect(await matched('admin_districts', '&datetime=2025-06-30')).to.equal(18);
    expect(await matched('admin_provinces', '&datetime=2025-06-30')).to.equal(2);
    expect(await matched('admin_communes_2025', '&datetime=2025-06-30')).to.equal(0);
    expect(await matched('admin_communes', '&datetime=2025-07-01')).to.equal(0);
    expect(await matched('admin_communes_2025', '&datetime=2025-07-01')).to.equal(99);
  });

  it('reads a date-time in Vietnam time: 17:00 UTC on 30 June is already 1 July there', async () => {
    expect(await matched('admin_communes_2025', '&datetime=2025-06-30T16:59:59Z')).to.equal(0);
    expect(await matched('admin_communes_2025', '&datetime=2025-06-30T17:00:00Z')).to.equal(99);
  });

  it('answers both vintages for an interval across 1 July 2025, and the old ones for an interval open at the start', async () => {
    expect(await matched('admin_communes', '&datetime=2025-06-01/2025-07-31')).to.equal(358);
    expect(await matched('admin_communes_2025', '&datetime=2025-06-01/2025-07-31')).to.equal(99);
    expect(await matched('admin_communes', '&datetime=../2020-01-01')).to.equal(358);
    expect(await matched('admin_communes_2025', '&datetime=../2020-01-01')).to.equal(0);
    expect(await matched('admin_communes_2025', '&datetime=2030-01-01/..')).to.equal(99);
  });

  it('combines datetime with other filters and leaves layers without validity unfiltered', async () => {
    const page = await items('admin_communes', '&datetime=2025-06-30&province_code=24');
    expect(page.numberMatched).to.be.greaterThan(0).and.lessThan(358);
    expect(page.features.every((f) => f.properties.province_code === '24')).to.equal(true);
    const [parcels] = await db().rows<{ n: number }>('SELECT count(*)::int AS n FROM landuse_parcels');
    expect(await matched('landuse_parcels', '&datetime=1990-01-01')).to.be.oneOf([parcels.n, undefined]);
  });

  it('refuses a malformed datetime or one ending before it starts with a 400 naming datetime', async () => {
    for (const value of ['2025-13-01', '2025-07-01/2025-06-30', 'today']) {
      const res = await fetch(`${server().url}/collections/admin_communes/items?datetime=${encodeURIComponent(value)}`);
      expect(res.status, value).to.equal(400);
      expect(((await res.json()) as { description: string }).description, value).to.include('datetime');
    }
  });

  it('states the temporal extent of each administrative layer in its collection metadata', async () => {
    const extent = async (layer: string) => {
      const res = await fetch(`${server().url}/collections/${layer}`);
      return ((await res.json()) as { extent: { temporal?: { interval: Array<[string | null, string | null]>; trs: string } } })
        .extent.temporal;
    };
    expect((await extent('admin_communes'))?.interval[0][1]).to.equal('2025-06-30T16:59:59Z');
    expect((await extent('admin_districts'))?.interval[0][1]).to.equal('2025-06-30T16:59:59Z');
    expect((await extent('admin_communes_2025'))?.interval).to.deep.equal([['2025-06-30T17:00:00Z', null]]);
    expect((await extent('admin_provinces_2025'))?.trs).to.include('gregorian');
    // A layer with no validity columns and no temporal extent in its metadata states none.
    expect(await extent('roads')).to.equal(undefined);
  });

  it('draws tiles as of a date: the vintage valid then, each cached apart, and a TileJSON that keeps the date', async () => {
    const z = 10;
    const [lon, lat] = [106.19, 21.28]; // Bắc Giang city
    const at = `${z}/${Math.floor(lonToTileX(lon, z))}/${Math.floor(latToTileY(lat, z))}.mvt`;
    const tile = async (layers: string, query: string): Promise<{ status: number; layers: string[] }> => {
      const res = await fetch(`${server().url}/tiles/${layers}/${at}${query}`);
      const body = Buffer.from(await res.arrayBuffer());
      return {
        status: res.status,
        layers: res.status === 200 ? Object.keys(new VectorTile(new PbfReader(body)).layers).sort() : [],
      };
    };
    const both = 'admin_communes,admin_communes_2025,admin_districts';
    expect(await tile(both, '?datetime=2025-06-30')).to.deep.equal({
      status: 200,
      layers: ['admin_communes', 'admin_districts'],
    });
    expect(await tile(both, '?datetime=2025-07-01')).to.deep.equal({ status: 200, layers: ['admin_communes_2025'] });
    expect(await tile(both, '')).to.deep.equal({
      status: 200,
      layers: ['admin_communes', 'admin_communes_2025', 'admin_districts'],
    });
    expect((await tile('admin_districts', '?datetime=2026-01-01')).status).to.equal(204);
    expect((await tile('admin_districts', '?datetime=not-a-date')).status).to.equal(400);
    const tilejson = (await (await fetch(`${server().url}/tiles/${both}.json?datetime=2025-06-30`)).json()) as {
      tiles: string[];
    };
    expect(tilejson.tiles[0]).to.match(/\.mvt\?datetime=2025-06-30$/);
  });

  it('gives every parcel, industrial zone and BTS station the unit of today that holds it (the nearest at the edge)', async () => {
    for (const t of ['landuse_parcels', 'industrial_zones', 'bts_stations']) {
      const [r] = await db().rows<{ n: number; missing: number; wrong: number; outside: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE r.commune_code_2025 IS NULL)::int AS missing,
                count(*) FILTER (WHERE h.code IS DISTINCT FROM r.commune_code_2025 AND h.code IS NOT NULL)::int AS wrong,
                count(*) FILTER (WHERE h.code IS NULL)::int AS outside
           FROM "${t}" r LEFT JOIN LATERAL (SELECT u.code FROM admin_communes_2025 u
                                             WHERE ST_Intersects(u.geom, ST_PointOnSurface(r.geom)) LIMIT 1) h ON true`,
      );
      expect(r.n, t).to.be.greaterThan(0);
      expect(r.missing, t).to.equal(0);
      expect(r.wrong, t).to.equal(0);
      // Demo parcels reach into the slivers between the thinned 2009 polygons that no unit of today covers.
      expect(r.outside, t).to.be.lessThan(r.n * 0.05);
      const [named] = await db().rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${t}" r JOIN admin_communes_2025 u ON u.code = r.commune_code_2025 AND u.name = r.commune_name_2025`,
      );
      expect(named.n, t).to.equal(r.n);
    }
  });

  it('sums land use by commune of today to the land use of the whole province', async () => {
    const [box] = await db().rows<{ g: string }>(
      'SELECT ST_AsGeoJSON(ST_Envelope(ST_Buffer(geom, 0.01))) AS g FROM admin_provinces_2025',
    );
    const summary = async (groupBy?: string[]): Promise<SummaryBody> => {
      const res = await fetch(`${server().url}/query/summary`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ layer: 'landuse_parcels', geometry: JSON.parse(box.g), groupBy }),
      });
      expect(res.status).to.equal(200);
      return (await res.json()) as SummaryBody;
    };
    const whole = await summary();
    const byUnit = await summary(['commune_code_2025', 'commune_name_2025']);
    const [parcels] = await db().rows<{ n: number }>('SELECT count(*)::int AS n FROM landuse_parcels');
    expect(whole.total.count).to.equal(parcels.n);
    expect(byUnit.groups.length).to.be.greaterThan(50).and.at.most(99);
    expect(byUnit.groups.every((g) => /^\d{5}$/.test(g.key.commune_code_2025 ?? ''))).to.equal(true);
    expect(byUnit.groups.reduce((n, g) => n + g.count, 0)).to.equal(whole.total.count);
    const sum = byUnit.groups.reduce((a, g) => a + g.area_ha, 0);
    expect(Math.abs(sum - whole.total.area_ha)).to.be.lessThan(0.01 + whole.total.area_ha * 1e-9);
  });

  it('reports both the unit of today and the 2009 commune a place belonged to in identify', async () => {
    const [p] = await db().rows<{ lon: number; lat: number; code: string }>(
      `SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat, commune_code_2025 AS code
         FROM landuse_parcels p
        WHERE EXISTS (SELECT 1 FROM admin_communes_2025 u WHERE ST_Intersects(u.geom, ST_PointOnSurface(p.geom)))
        ORDER BY id LIMIT 1`,
    );
    const res = await fetch(
      `${server().url}/query/identify?lon=${p.lon}&lat=${p.lat}&layers=admin_communes_2025,admin_communes,landuse_parcels`,
    );
    const body = (await res.json()) as { features: Array<{ layer: string; properties: Record<string, unknown> }> };
    const now = body.features.find((f) => f.layer === 'admin_communes_2025');
    const old = body.features.find((f) => f.layer === 'admin_communes');
    expect(now?.properties.code).to.equal(p.code);
    expect(old?.properties.valid_to).to.equal('2025-06-30');
    expect(body.features.find((f) => f.layer === 'landuse_parcels')?.properties.commune_code_2025).to.equal(p.code);
  });
});

forEachBackend('units as of a date in the viewer', (server) => {
  let browser: ClosedNetworkBrowser | undefined;
  let page: Page;

  before(async function () {
    requireTool(this, chromiumPath !== '', 'viewer: the vintage switch', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    browser = await openClosedNetworkBrowser({ width: 1200, height: 800 });
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
  });

  const checked = (id: string) => page.locator(`#layer-${id}`).isChecked();

  it("opens on today's units, switches to the units before 1 July 2025 and back, and says which are shown", async function () {
    this.timeout(60_000);
    await page.goto(`${server().url}/viewer/`);
    await page.locator('#vintage[data-ready="true"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#vintage input[value="today"]').isChecked()).to.equal(true);
    expect(await checked('admin_communes_2025')).to.equal(true);
    expect(await checked('admin_provinces_2025')).to.equal(true);
    expect(await checked('admin_communes')).to.equal(false);
    expect(await checked('admin_districts')).to.equal(false);
    expect(await checked('landuse_parcels'), 'thematic layers are left alone').to.equal(true);
    expect(await page.locator('#vintage .vintage-shown').textContent()).to.contain('1/7/2025');

    await page.locator('#vintage input[value="before"]').check();
    expect(await checked('admin_communes')).to.equal(true);
    expect(await checked('admin_districts')).to.equal(true);
    expect(await checked('admin_provinces')).to.equal(true);
    expect(await checked('admin_communes_2025')).to.equal(false);
    expect(await page.locator('#vintage .vintage-shown').textContent()).to.contain('2009');
    expect(page.url())
      .to.match(/layers=[^&]*admin_districts/)
      .and.not.to.match(/layers=[^&]*admin_communes_2025/);
    await page.screenshot({ path: path.join(screenshotDir, 'vintage-before.png') });

    await page.locator('#vintage input[value="today"]').check();
    expect(await checked('admin_communes_2025')).to.equal(true);
    expect(await checked('admin_districts')).to.equal(false);
    expect(browser!.blocked).to.deep.equal([]);
    expect(browser!.pageErrors).to.deep.equal([]);
  });

  it('names in a popup both the unit of today and the 2009 commune a place belonged to', async function () {
    this.timeout(60_000);
    const [p] = await server().ctx.db.rows<{ lon: number; lat: number; code: string }>(
      `SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat, commune_code_2025 AS code
         FROM landuse_parcels p
        WHERE EXISTS (SELECT 1 FROM admin_communes_2025 u WHERE ST_Intersects(u.geom, ST_PointOnSurface(p.geom)))
        ORDER BY id LIMIT 1`,
    );
    await page.evaluate(([la, lo]) => window.viewerMap.setView([la, lo], 14, { animate: false }), [p.lat, p.lon]);
    await page.locator('#map').focus();
    await page.keyboard.press('Enter');
    const now = page
      .locator('.leaflet-popup-content section[data-layer="admin_communes_2025"] tr[data-column="code"] td')
      .first();
    // The popup opens the most specific feature (the parcel) and keeps the units one click away: present, folded.
    await now.waitFor({ state: 'attached', timeout: 15_000 });
    expect(await now.textContent()).to.equal(p.code);
    const old = page.locator('.leaflet-popup-content section[data-layer="admin_communes"] tr[data-column="now_code"] td').first();
    expect(await old.textContent()).to.equal(p.code);
    await page.screenshot({ path: path.join(screenshotDir, 'vintage-popup.png') });
  });
});
