/**
 * MapLibre GL JS in Chromium draws our planning map style with the README snippet: where a parcel, an industrial
 * zone and a place lie (found through the items and identify APIs, not through the style), the pixels have the
 * colours of the layer definitions, blended in draw order with each layer's fill opacity, as the viewer draws them.
 * WebGL in headless Chromium needs SwiftShader (FIELD-NOTES); every request off the loopback is refused.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { along, length, pointOnFeature } from '@turf/turf';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { isLoopback } from '../support/browser.ts';
import { forEachBackend } from '../support/servers.ts';
import { readmeSnippet } from '../support/readme.ts';
import { tokenFor } from '../fixtures/upload/http.ts';

type Json = Record<string, any>;
type Rgb = [number, number, number];

const maplibreDist = path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'maplibre-gl', 'dist');
const background: Rgb = [0xf4, 0xf3, 0xef];
const fallbackColour = '#6b7280';

const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const blend = (under: Rgb, over: Rgb, alpha: number): Rgb => under.map((u, i) => u * (1 - alpha) + over[i] * alpha) as Rgb;

/** The page of the test: the README snippet as a module, `maplibre-gl` mapped to the installed dist. */
function pageHtml(snippet: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/maplibre-gl.css">
<script type="importmap">{"imports": {"maplibre-gl": "/maplibre-gl.mjs"}}</script>
<style>body { margin: 0 } #map { width: 600px; height: 400px }</style></head>
<body><div id="map"></div><script type="module">
${snippet}
// An element with id="map" is window.map already: keep the map under its own name.
window.testMap = map;
map.on('error', (e) => (window.mapErrors ??= []).push(String(e.error?.message ?? e.error)));
</script></body></html>`;
}

/** A test-only static server: the page and MapLibre's dist files. */
async function startPageServer(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0];
    if (name === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const file = path.join(maplibreDist, path.basename(name));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.css') ? 'text/css' : file.endsWith('.map') ? 'application/json' : 'text/javascript';
    res.writeHead(200, { 'Content-Type': type }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The colour the viewer gives a feature of a layer (its category's, else the style's). */
function colourOf(style: Json, props: Json): string {
  if (style.type === 'categorical' && style.property) {
    const hit = (style.categories as Json[]).find((c) => String(c.value) === String(props[style.property]));
    if (hit) return hit.color as string;
  }
  return (style.color as string | undefined) ?? fallbackColour;
}

forEachBackend('MapLibre GL draws the planning map style', (server) => {
  let context: BrowserContext;
  let page: Page;
  let pages: { url: string; close(): Promise<void> };
  let profile: string;
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  /** Layer definitions (style, sortOrder, geometry type) by id, as the catalog holds them. */
  const definitions = new Map<string, Json>();

  before(async function () {
    requireTool(this, chromiumPath !== '', 'MapLibre in Chromium', 'Chromium (apt-get install chromium)');
    this.timeout(120_000);
    const editor = await tokenFor(server(), 'editor');
    const collections = ((await (await fetch(`${server().url}/collections`)).json()) as Json).collections as Json[];
    for (const c of collections) {
      const res = await fetch(`${server().url}/admin/layers/${c.id}`, { headers: { Authorization: `Bearer ${editor}` } });
      definitions.set(c.id, {
        ...((await res.json()) as Json),
        sortOrder: c.sortOrder,
        geometryType: c.geometryType,
        minzoom: c.minzoom,
      });
    }
    pages = await startPageServer(pageHtml(readmeSnippet('maplibre', server().url)));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-maplibre-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--ignore-gpu-blocklist',
        '--no-first-run',
      ],
      viewport: { width: 800, height: 600 },
    });
    await context.route('**/*', (route) => {
      if (isLoopback(route.request().url())) return route.continue();
      blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(pages.url);
    await page.waitForFunction(
      () => (window as unknown as { testMap?: { loaded(): boolean } }).testMap?.loaded() === true,
      null,
      {
        timeout: 60_000,
      },
    );
  });

  after(async () => {
    await context?.close();
    await pages?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  /** Centres the map on a point at a zoom, waits until every tile is drawn, and reads the pixel there. */
  async function pixelAt(lon: number, lat: number, zoom: number): Promise<Rgb> {
    await page.evaluate(
      ([x, y, z]) =>
        new Promise<void>((resolve) => {
          const map = (window as unknown as { testMap: any }).testMap;
          map.once('idle', () => resolve());
          map.jumpTo({ center: [x, y], zoom: z });
        }),
      [lon, lat, zoom],
    );
    const at = await page.evaluate(([x, y]) => (window as unknown as { testMap: any }).testMap.project([x, y]), [lon, lat]);
    const png = (await page.locator('#map').screenshot()).toString('base64');
    return page.evaluate(
      async ([data, px, py]) => {
        const img = new Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(Math.round(px as number), Math.round(py as number), 1, 1).data;
        return [d[0], d[1], d[2]] as [number, number, number];
      },
      [png, at.x, at.y] as const,
    );
  }

  /**
   * The colour expected at a point from what identify finds there: the background, then each polygon's fill in
   * draw order (sortOrder from the bottom) at its fill opacity, then a point's circle at 0.9. Null when a line lies
   * near (its stroke would cover the pixel) or a layer is not drawn at this zoom.
   */
  async function expectedAt(lon: number, lat: number, zoom: number): Promise<Rgb | null> {
    const hits = ((await (await fetch(`${server().url}/query/identify?lon=${lon}&lat=${lat}&tolerance_m=3`)).json()) as Json)
      .features as Json[];
    const drawn = hits.filter((f) => definitions.get(f.layer)!.minzoom <= zoom);
    if (drawn.some((f) => definitions.get(f.layer)!.geometryType === 'LineString')) return null;
    drawn.sort((a, b) => definitions.get(a.layer)!.sortOrder - definitions.get(b.layer)!.sortOrder);
    let colour = background;
    for (const f of drawn) {
      const def = definitions.get(f.layer)!;
      const opacity = def.geometryType === 'Point' ? 0.9 : (def.style.fillOpacity ?? 0.5);
      colour = blend(colour, rgb(colourOf(def.style, f.properties ?? {})), opacity);
    }
    return colour;
  }

  /** The first of `features` whose interior point shows no line nearby, with its expected colour. */
  async function firstClearPoint(features: Json[], zoom: number): Promise<{ lon: number; lat: number; expected: Rgb }> {
    for (const f of features) {
      const [lon, lat] = pointOnFeature(f as GeoJSON.Feature).geometry.coordinates;
      const expected = await expectedAt(lon, lat, zoom);
      if (expected) return { lon, lat, expected };
    }
    throw new Error('no feature without a line nearby; the demo data changed');
  }

  const closeTo = (actual: Rgb, expected: Rgb, what: string) => {
    for (let i = 0; i < 3; i++)
      expect(Math.abs(actual[i] - expected[i]), `${what}: ${actual} vs ${expected.map(Math.round)}`).to.be.at.most(12);
  };

  it('loads the style, its TileJSON and tiles from our server only, without errors', async () => {
    const state = await page.evaluate(() => {
      const w = window as unknown as { testMap: any; mapErrors?: string[] };
      return { layers: w.testMap.getStyle().layers.length, errors: w.mapErrors ?? [] };
    });
    expect(state.errors).to.deep.equal([]);
    expect(state.layers).to.be.above(5);
    expect(pageErrors).to.deep.equal([]);
    expect(blocked).to.deep.equal([]);
  });

  it('paints a parcel in its land-use colour', async () => {
    const parcels = (
      (await (await fetch(`${server().url}/collections/landuse_parcels/items?limit=30&sortby=-area_m2`)).json()) as Json
    ).features;
    const p = await firstClearPoint(parcels, 16);
    closeTo(await pixelAt(p.lon, p.lat, 16), p.expected, 'parcel');
  });

  it('paints an industrial zone over the parcels in its status colour at its fill opacity', async () => {
    const zones = ((await (await fetch(`${server().url}/collections/industrial_zones/items?limit=30`)).json()) as Json).features;
    const p = await firstClearPoint(zones, 15);
    closeTo(await pixelAt(p.lon, p.lat, 15), p.expected, 'industrial zone');
  });

  it("draws a river as a line of its class's colour over the polygons", async () => {
    const rivers = ((await (await fetch(`${server().url}/collections/rivers/items?limit=10`)).json()) as Json).features as Json[];
    const def = definitions.get('rivers')!;
    for (const river of rivers) {
      const lines = river.geometry.type === 'MultiLineString' ? river.geometry.coordinates : [river.geometry.coordinates];
      const line = {
        type: 'Feature',
        properties: {},
        geometry: { type: 'LineString', coordinates: lines[0] },
      } as GeoJSON.Feature<GeoJSON.LineString>;
      const [lon, lat] = along(line, length(line) / 2).geometry.coordinates;
      const hits = ((await (await fetch(`${server().url}/query/identify?lon=${lon}&lat=${lat}&tolerance_m=30`)).json()) as Json)
        .features as Json[];
      // Only the river itself among lines and points near: nothing drawn above it.
      if (hits.some((f) => ['roads', 'places'].includes(f.layer) || (f.layer === 'rivers' && f.id !== river.id))) continue;
      closeTo(await pixelAt(lon, lat, 14), rgb(colourOf(def.style, river.properties)), 'river');
      return;
    }
    throw new Error('no river clear of roads and places; the demo data changed');
  });

  it("draws a place as a circle of its kind's colour", async () => {
    const places = ((await (await fetch(`${server().url}/collections/places/items?limit=30`)).json()) as Json).features;
    const p = await firstClearPoint(places, 14);
    closeTo(await pixelAt(p.lon, p.lat, 14), p.expected, 'place');
  });
});
