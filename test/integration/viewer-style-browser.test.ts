/**
 * One source of truth for colours: a layer's style changed by PATCH shows in the published style document, in the
 * viewer (Chromium, closed network) and in QGIS alike. The viewer's pixel is read from its own tile canvas (colour
 * and alpha before compositing), where an industrial zone lies alone (found through the items and identify APIs).
 */
import { expect } from 'chai';
import path from 'node:path';
import { lineString, pointOnFeature, pointToLineDistance } from '@turf/turf';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, screenshotDir, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend, type BackendName } from '../support/servers.ts';
import { readmeSnippet } from '../support/readme.ts';
import { hasPythonModule, inQgis, lastJson, runPython } from '../support/python.ts';
import { call, tokenFor } from '../fixtures/upload/http.ts';

type Json = Record<string, any>;
type Rgb = [number, number, number];

const layerId = 'industrial_zones';
/** A colour no layer definition uses. */
const newColour = '#0a8f6c';

const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const blend = (under: Rgb, over: Rgb, alpha: number): Rgb => under.map((u, i) => u * (1 - alpha) + over[i] * alpha) as Rgb;

const closeTo = (actual: number[], expected: number[], what: string) => {
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i]), `${what}: ${actual} vs ${expected.map(Math.round)}`).to.be.at.most(12);
};

forEachBackend('the viewer, MapLibre styles and QGIS draw one style', (server, backend: BackendName) => {
  let browser: ClosedNetworkBrowser | undefined;
  let admin: string;
  let original: Json;
  /** A zone that lies alone at `lon`, `lat`, and its status (the category that colours it). */
  let zone: { lon: number; lat: number; status: string };
  /** The style with the zone's category in `newColour`. */
  let changed: Json;

  const json = async (p: string, token?: string): Promise<Json> => {
    const res = await fetch(`${server().url}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    expect(res.status, p).to.equal(200);
    return (await res.json()) as Json;
  };

  before(async function () {
    requireTool(this, chromiumPath !== '', 'viewer: style browser test', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    admin = await tokenFor(server(), 'admin'); // built-in layers are changed by admins (ownership rule)
    original = (await json(`/admin/layers/${layerId}`, admin)).style;
    const zones = (await json(`/collections/${layerId}/items?limit=30&sortby=-area_ha`)).features as Json[];
    for (const f of zones) {
      const point = pointOnFeature(f as GeoJSON.Feature);
      const [lon, lat] = point.geometry.coordinates;
      // Well inside (50 m is 10 px at zoom 15): the outline is not under the pixel read.
      const g = f.geometry as GeoJSON.Polygon | GeoJSON.MultiPolygon;
      const rings = g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
      const edges = rings.map((ring) => lineString(ring));
      if (Math.min(...edges.map((e) => pointToLineDistance(point, e, { units: 'meters' }))) < 50) continue;
      const hits = (await json(`/query/identify?lon=${lon}&lat=${lat}&layers=${layerId}&tolerance_m=5`)).features as Json[];
      if (hits.length !== 1) continue; // another zone over it: a second fill would show
      zone = { lon, lat, status: String(f.properties.status) };
      break;
    }
    if (!zone) throw new Error('no industrial zone alone at its inside point; the demo data changed');
    changed = {
      ...original,
      categories: (original.categories as Json[]).map((c) => (c.value === zone.status ? { ...c, color: newColour } : c)),
    };
    browser = await openClosedNetworkBrowser({ width: 1000, height: 700 });
  });

  after(async () => {
    await browser?.close();
    if (original) await call(server(), admin, 'PATCH', `/admin/layers/${layerId}`, { style: original });
  });

  /** The viewer showing only the zones, centred on the zone: the fill's pixel there (RGBA) and the legend's swatches. */
  async function viewerAt(name: string): Promise<{ pixel: number[]; swatches: string[]; problems: string[] }> {
    const page = await browser!.context.newPage();
    try {
      await page.goto(`${server().url}/viewer/#map=15/${zone.lat}/${zone.lon}&layers=${layerId}&lang=en`);
      await page.waitForFunction(() => window.viewerStats?.allTilesMs !== null, null, { timeout: 30_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(screenshotDir, `viewer-style-${backend}-${name}.png`) });
      return await page.evaluate(
        ([lat, lon, id]) => {
          const p = window.viewerMap.latLngToContainerPoint([lat as number, lon as number]);
          const box = window.viewerMap.getContainer().getBoundingClientRect();
          const [x, y] = [box.left + p.x, box.top + p.y];
          // The fills' tile under the point (the labels have a pane of their own); the newest if zoom levels overlap.
          const canvas = [...document.querySelectorAll<HTMLCanvasElement>('.leaflet-tile-pane canvas.leaflet-tile')]
            .filter((c) => {
              const r = c.getBoundingClientRect();
              return x >= r.left && x < r.right && y >= r.top && y < r.bottom;
            })
            .at(-1)!;
          const r = canvas.getBoundingClientRect();
          const cx = Math.floor(((x - r.left) * canvas.width) / r.width);
          const cy = Math.floor(((y - r.top) * canvas.height) / r.height);
          const pixel = [...canvas.getContext('2d')!.getImageData(cx, cy, 1, 1).data];
          const swatches = [...document.querySelectorAll<HTMLElement>(`li[data-layer="${id}"] .legend .swatch`)].map((s) =>
            s.style.getPropertyValue('--c'),
          );
          const stats = (window as unknown as { viewerStats: { styleProblems: string[] } }).viewerStats;
          return { pixel, swatches, problems: stats.styleProblems };
        },
        [zone.lat, zone.lon, layerId] as const,
      );
    } finally {
      await page.close();
    }
  }

  it("paints a zone in its category's colour, then in the colour a PATCH gave that category, as the style document says", async function () {
    this.timeout(120_000);
    const category = (original.categories as Json[]).find((c) => c.value === zone.status)!;
    const alpha = Math.round((original.fillOpacity ?? 0.5) * 255);
    const before = await viewerAt('before');
    expect(before.problems).to.deep.equal([]);
    closeTo(before.pixel, [...rgb(category.color), alpha], 'before the PATCH');
    expect(before.swatches).to.include(category.color);

    // Others may not change it: anonymous callers and viewers are refused, and the style stays as it was.
    expect((await call(server(), null, 'PATCH', `/admin/layers/${layerId}`, { style: changed })).status).to.equal(401);
    const viewer = await tokenFor(server(), 'viewer');
    expect((await call(server(), viewer, 'PATCH', `/admin/layers/${layerId}`, { style: changed })).status).to.equal(403);
    expect(JSON.stringify((await json('/styles/planning-map.json')).layers)).not.to.include(newColour);

    expect((await call(server(), admin, 'PATCH', `/admin/layers/${layerId}`, { style: changed })).status).to.equal(200);
    const fill = ((await json('/styles/planning-map.json')).layers as Json[]).find((l) => l.id === `${layerId}-fill`)!;
    const match = fill.paint['fill-color'] as unknown[];
    expect(match[match.findIndex((x) => JSON.stringify(x) === JSON.stringify([zone.status])) + 1]).to.equal(newColour);

    const after = await viewerAt('after');
    expect(after.problems).to.deep.equal([]);
    closeTo(after.pixel, [...rgb(newColour), alpha], 'after the PATCH');
    expect(after.swatches).to.include(newColour).and.not.to.include(category.color);
    expect(browser!.blocked).to.deep.equal([]);
    expect(browser!.pageErrors).to.deep.equal([]);
  });

  it('has QGIS convert the changed style without a warning and paint the zone in the new colour', async function () {
    requireTool(
      this,
      hasPythonModule('qgis.core'),
      'QGIS',
      'python3-qgis and qgis-providers (apt-get install python3-qgis qgis-providers)',
    );
    this.timeout(120_000);
    expect((await call(server(), admin, 'PATCH', `/admin/layers/${layerId}`, { style: changed })).status).to.equal(200);
    // The README's QGIS snippet, given the zones' own style instead of the planning map (no layer under the zone).
    const snippet = readmeSnippet('qgis-tiles', server().url).replace('/styles/planning-map.json', `/styles/${layerId}.json`);
    const script = inQgis(`${snippet}
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsMapRendererParallelJob, QgsMapSettings, QgsPointXY, QgsRectangle
from qgis.PyQt.QtCore import QSize
merc = QgsCoordinateReferenceSystem('EPSG:3857')
p = QgsCoordinateTransform(QgsCoordinateReferenceSystem('EPSG:4326'), merc, QgsProject.instance()).transform(QgsPointXY(${zone.lon}, ${zone.lat}))
half = 300  # metres either side, over 256 px: about zoom 16
settings = QgsMapSettings()
settings.setLayers([tiles])
settings.setDestinationCrs(merc)
settings.setExtent(QgsRectangle(p.x() - half, p.y() - half, p.x() + half, p.y() + half))
settings.setOutputSize(QSize(256, 256))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
c = job.renderedImage().pixelColor(128, 128)
print(json.dumps({'valid': tiles.isValid(), 'warnings': converter.warnings(), 'rgb': [c.red(), c.green(), c.blue()]}))`);
    const out = lastJson<{ valid: boolean; warnings: string[]; rgb: Rgb }>((await runPython(script)).stdout);
    expect(out.valid).to.equal(true);
    expect(out.warnings).to.deep.equal([]);
    closeTo(out.rgb, blend(rgb('#f4f3ef'), rgb(newColour), changed.fillOpacity ?? 0.5), 'QGIS');
  });
});
