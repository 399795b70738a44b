/**
 * The viewer over HTTP (built bundle, redirect, configuration from the catalog) and its pure modules
 * (permalink, VN-2000 read-out, CSV). The browser itself is driven in viewer-browser.test.ts.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { formatState, parseState } from '../../viewer/src/permalink.ts';
import { toVn2000, zoneFor } from '../../viewer/src/coords.ts';
import { toCsv } from '../../viewer/src/csv.ts';
import { loadControlPoints } from '../fixtures/crs/control-points.ts';

describe('viewer modules', () => {
  it('writes the map state into a hash and reads the same state back', () => {
    const state = {
      zoom: 14,
      lat: 21.18612,
      lon: 106.07634,
      layers: ['bts_stations', 'landuse_parcels'],
      opacity: { landuse_parcels: 0.5 },
      lang: 'en' as const,
    };
    expect(parseState(`#${formatState(state)}`)).to.deep.equal(state);
  });

  it('ignores hostile or broken hash parts instead of throwing', () => {
    expect(parseState('#map=99/500/abc&lang=fr&opacity=x:7,y:0.5')).to.deep.equal({ opacity: { y: 0.5 } });
    expect(parseState('')).to.deep.equal({});
  });

  it('converts WGS 84 to VN-2000 TM-3 within 1 cm of PROJ at every control point', function () {
    const rows = loadControlPoints();
    expect(rows.length).to.be.greaterThan(5);
    for (const { lon, lat, e9214: e107, n9214: n107, e9209: e105, n9209: n105 } of rows) {
      const a = toVn2000(lon, lat, 'EPSG:9214');
      const b = toVn2000(lon, lat, 'EPSG:9209');
      expect(Math.hypot(a.easting - e107, a.northing - n107), `107-00 at ${lon},${lat}`).to.be.below(0.01);
      expect(Math.hypot(b.easting - e105, b.northing - n105), `105-30 at ${lon},${lat}`).to.be.below(0.01);
    }
  });

  it('picks the TM-3 zone by former province: 105°30′ in Bắc Ninh city, 107°00′ in Bắc Giang city', () => {
    expect(zoneFor(106.0763, 21.1861)).to.equal('EPSG:9209');
    expect(zoneFor(106.1975, 21.2731)).to.equal('EPSG:9214');
    expect(zoneFor(106.85, 21.35)).to.equal('EPSG:9214');
  });

  it('quotes CSV fields with commas, quotes and line breaks and keeps Vietnamese letters', () => {
    const csv = toCsv(
      ['a', 'b'],
      [
        ['Xã "Tân", Dĩnh', 1.5],
        ['line\nbreak', null],
      ],
    );
    expect(csv).to.equal('\uFEFFa,b\r\n"Xã ""Tân"", Dĩnh",1.5\r\n"line\nbreak",\r\n');
  });
});

forEachBackend('viewer over HTTP', (server) => {
  it('serves the viewer page, its bundle and its CSS from memory', async () => {
    const page = await fetch(`${server().url}/viewer/`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    const html = await page.text();
    expect(html).to.contain('viewer.js').and.to.contain('viewer.css');
    const js = await fetch(`${server().url}/viewer/viewer.js`);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.match(/javascript/);
    expect((await js.text()).length).to.be.greaterThan(100_000);
    const css = await fetch(`${server().url}/viewer/viewer.css`);
    expect(await css.text()).to.contain('.leaflet-container');
  });

  it('loads nothing from outside: no absolute URL in the page or a stylesheet url()', async () => {
    const html = await (await fetch(`${server().url}/viewer/`)).text();
    const css = await (await fetch(`${server().url}/viewer/viewer.css`)).text();
    expect(html).not.to.match(/(src|href)="(https?:)?\/\//);
    expect(css).not.to.match(/url\(\s*["']?(https?:)?\/\//);
    const images = [...css.matchAll(/url\(["']?\.\/(assets\/[^"')]+)/g)].map((m) => m[1]);
    expect(images.length).to.be.greaterThan(0);
    for (const image of images) expect((await fetch(`${server().url}/viewer/${image}`)).status, image).to.equal(200);
  });

  it('answers 304 to a repeated request with the same ETag', async () => {
    const first = await fetch(`${server().url}/viewer/viewer.js`);
    const etag = first.headers.get('etag')!;
    expect(etag).to.be.a('string');
    const again = await fetch(`${server().url}/viewer/viewer.js`, { headers: { 'If-None-Match': etag } });
    expect(again.status).to.equal(304);
  });

  it('sends a browser opening / to /viewer/, but not a JSON client or an explicit f=json', async () => {
    const browser = await fetch(`${server().url}/`, {
      headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      redirect: 'manual',
    });
    expect(browser.status).to.equal(302);
    expect(new URL(browser.headers.get('location')!, `${server().url}/`).pathname).to.equal('/viewer/');
    const json = await fetch(`${server().url}/`, { headers: { Accept: 'application/json' }, redirect: 'manual' });
    expect(json.status).not.to.equal(302);
    const explicit = await fetch(`${server().url}/?f=json`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
    expect(explicit.status).not.to.equal(302);
    const bare = await fetch(`${server().url}/viewer`, { redirect: 'manual' });
    expect(new URL(bare.headers.get('location')!, `${server().url}/viewer`).pathname).to.equal('/viewer/');
  });

  it('lists every layer an anonymous caller may read, with group, style and column labels', async () => {
    const res = await fetch(`${server().url}/viewer/config.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const { layers } = (await res.json()) as {
      layers: Array<{
        id: string;
        group: string;
        style: { type: string };
        columns: Array<{ label: { vi: string } }>;
        access: string;
      }>;
    };
    const expected = server()
      .ctx.catalog.list(null)
      .map((l) => l.id);
    expect(layers.map((l) => l.id)).to.deep.equal(expected);
    for (const l of layers) {
      expect(l.access).to.equal('public');
      expect(['basemap', 'landuse', 'industry', 'telecom', 'other']).to.include(l.group);
      expect(l.style.type).to.be.oneOf(['single', 'categorical']);
      for (const c of l.columns) expect(c.label.vi).to.be.a('string');
    }
  });

  it('has no inline script, inline event handler or inline style in its pages (the CSP forbids them)', async () => {
    for (const name of ['', 'upload.html']) {
      const html = await (await fetch(`${server().url}/viewer/${name}`)).text();
      expect(html, name || 'index.html').not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html, name || 'index.html').not.to.match(/\son[a-z]+\s*=/i);
      expect(html, name || 'index.html').not.to.match(/\sstyle\s*=|<style/i);
    }
  });

  it('sends nosniff, a referrer policy and the CSP on every response, and lets other origins load tiles and features', async () => {
    const urls = [
      '/viewer/',
      '/viewer/viewer.js',
      '/viewer/config.json',
      '/collections',
      '/tiles/admin_provinces/5/25/14.mvt',
      '/nothing-here',
    ];
    for (const url of urls) {
      const res = await fetch(`${server().url}${url}`);
      expect(res.headers.get('x-content-type-options'), url).to.equal('nosniff');
      expect(res.headers.get('referrer-policy'), url).to.equal('same-origin');
      expect(res.headers.get('content-security-policy'), url)
        .to.contain("script-src 'self'")
        .and.to.contain("frame-ancestors 'none'");
      expect(res.headers.get('cross-origin-resource-policy'), url).to.equal('cross-origin');
      expect(res.headers.get('strict-transport-security'), url).to.equal(null);
    }
  });

  it('answers 404 with a JSON error for an unknown viewer file', async () => {
    const res = await fetch(`${server().url}/viewer/nothing-here.js`);
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { code: string }).code).to.equal('NotFound');
  });
});
