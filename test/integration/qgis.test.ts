/**
 * QGIS 3.22 (python3-qgis, headless) with our styles and features, running the README snippets: the MapLibre style
 * converter takes every style without a warning; the planning map drawn from our vector tiles paints a parcel in
 * its land-use colour; the OAPIF layer restricted to the view box reads exactly the parcels of a small box.
 */
import { expect } from 'chai';
import { pointOnFeature } from '@turf/turf';
import { inCi, requireTool } from '../support/environment.ts';
import { forEachBackend } from '../support/servers.ts';
import { readmeSnippet } from '../support/readme.ts';
import { hasPythonModule, inQgis, lastJson, runPython } from '../support/python.ts';
import { tokenFor } from '../fixtures/upload/http.ts';

type Json = Record<string, any>;
type Rgb = [number, number, number];

const hasQgis = hasPythonModule('qgis.core');

const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const blend = (under: Rgb, over: Rgb, alpha: number): Rgb => under.map((u, i) => u * (1 - alpha) + over[i] * alpha) as Rgb;

forEachBackend('QGIS reads our styles, tiles and features', (server) => {
  before(function () {
    requireTool(this, hasQgis, 'QGIS', 'python3-qgis and qgis-providers (apt-get install python3-qgis qgis-providers)');
  });
  const json = async (p: string, token?: string): Promise<Json> =>
    (await (await fetch(`${server().url}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} })).json()) as Json;

  it('converts the planning map and every layer style with QgsMapBoxGlStyleConverter, without a warning', async function () {
    this.timeout(120_000);
    const urls = ((await json('/styles')).styles as Json[]).map((s) => s.links[0].href as string);
    const script = inQgis(`
import urllib.request
from qgis.core import QgsMapBoxGlStyleConverter
out = {}
for url in ${JSON.stringify(urls)}:
    c = QgsMapBoxGlStyleConverter()
    result = c.convert(json.load(urllib.request.urlopen(url)))
    out[url] = {'result': int(result), 'error': c.errorMessage(), 'warnings': c.warnings(), 'styles': len(c.renderer().styles())}
print(json.dumps(out))`);
    const out = lastJson<Record<string, { result: number; error: string; warnings: string[]; styles: number }>>(
      (await runPython(script)).stdout,
    );
    expect(Object.keys(out)).to.have.length(urls.length);
    for (const [url, r] of Object.entries(out)) {
      expect(r, url).to.deep.include({ result: 0, error: '', warnings: [] });
      expect(r.styles, url).to.be.above(1);
    }
  });

  it('draws a parcel in its land-use colour from our vector tiles with the README snippet', async function () {
    this.timeout(120_000);
    const editor = await tokenFor(server(), 'editor');
    const collections = (await json('/collections')).collections as Json[];
    const defs = new Map<string, Json>();
    for (const c of collections)
      defs.set(c.id, { ...(await json(`/admin/layers/${c.id}`, editor)), sortOrder: c.sortOrder, geometryType: c.geometryType });
    // A big parcel whose inside point has no line or point near: only polygons decide the colour there.
    const parcels = (await json('/collections/landuse_parcels/items?limit=30&sortby=-area_m2')).features as Json[];
    let target: { lon: number; lat: number; expected: Rgb; code: string } | null = null;
    for (const f of parcels) {
      const [lon, lat] = pointOnFeature(f as GeoJSON.Feature).geometry.coordinates;
      const hits = (await json(`/query/identify?lon=${lon}&lat=${lat}&tolerance_m=5`)).features as Json[];
      if (hits.some((h) => defs.get(h.layer)!.geometryType !== 'Polygon')) continue;
      hits.sort((a, b) => defs.get(a.layer)!.sortOrder - defs.get(b.layer)!.sortOrder);
      let expected: Rgb = rgb('#f4f3ef'); // the style's background
      for (const h of hits) {
        const style = defs.get(h.layer)!.style;
        const cat =
          style.type === 'categorical'
            ? (style.categories as Json[]).find((c) => String(c.value) === String(h.properties[style.property]))
            : null;
        const opacity = style.fillOpacity ?? 0.5;
        if (opacity > 0) expected = blend(expected, rgb(cat?.color ?? style.color ?? '#6b7280'), opacity);
      }
      target = { lon, lat, expected, code: f.properties.code };
      break;
    }
    if (!target) throw new Error('no parcel clear of lines and points; the demo data changed');
    const script = inQgis(`${readmeSnippet('qgis-tiles', server().url)}
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsMapRendererParallelJob, QgsMapSettings, QgsPointXY, QgsRectangle
from qgis.PyQt.QtCore import QSize
merc = QgsCoordinateReferenceSystem('EPSG:3857')
p = QgsCoordinateTransform(QgsCoordinateReferenceSystem('EPSG:4326'), merc, QgsProject.instance()).transform(QgsPointXY(${target.lon}, ${target.lat}))
half = 150  # metres: 300 m over 512 px, about zoom 18; QGIS overzooms the zoom-17 tiles
settings = QgsMapSettings()
settings.setLayers([tiles])
settings.setDestinationCrs(merc)
settings.setExtent(QgsRectangle(p.x() - half, p.y() - half, p.x() + half, p.y() + half))
settings.setOutputSize(QSize(512, 512))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
c = job.renderedImage().pixelColor(256, 256)
print(json.dumps({'valid': tiles.isValid(), 'warnings': converter.warnings(), 'rgb': [c.red(), c.green(), c.blue()]}))`);
    const out = lastJson<{ valid: boolean; warnings: string[]; rgb: Rgb }>((await runPython(script)).stdout);
    expect(out.valid).to.equal(true);
    expect(out.warnings).to.deep.equal([]);
    for (let i = 0; i < 3; i++) {
      expect(
        Math.abs(out.rgb[i] - target.expected[i]),
        `parcel ${target.code}: ${out.rgb} vs ${target.expected.map(Math.round)}`,
      ).to.be.at.most(12);
    }
  });

  it('reads exactly the parcels of a small box through OAPIF with the README snippet (only the view box is asked for)', async function () {
    this.timeout(180_000);
    const first = (await json('/collections/landuse_parcels/items?limit=1&sortby=id')).features[0];
    const [lon, lat] = pointOnFeature(first as GeoJSON.Feature).geometry.coordinates;
    const box = [lon - 0.004, lat - 0.004, lon + 0.004, lat + 0.004];
    const expected = (await json(`/collections/landuse_parcels/items?bbox=${box.join(',')}&limit=10000`))
      .numberReturned as number;
    expect(expected).to.be.above(0);
    const itemsRequests = async (): Promise<number> => {
      const text = await (await fetch(`${server().url}/metrics`)).text();
      const m = /^http_requests_total\{route="\/collections\/:layer\/items",method="GET",status="200"\} (\d+)/m.exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await itemsRequests();
    const script = inQgis(`${readmeSnippet('qgis-features', server().url)}
import time
from qgis.core import QgsFeatureRequest, QgsRectangle
started = time.time()
request = QgsFeatureRequest().setFilterRect(QgsRectangle(${box.join(', ')})).setFlags(QgsFeatureRequest.ExactIntersect)
n = sum(1 for _ in parcels.getFeatures(request))
print(json.dumps({'valid': parcels.isValid(), 'n': n, 'seconds': time.time() - started}))`);
    const out = lastJson<{ valid: boolean; n: number; seconds: number }>((await runPython(script)).stdout);
    expect(out.valid).to.equal(true);
    expect(out.n).to.equal(expected);
    // One page of 10 to learn the fields, one page of the box; the whole layer would take one request per 1,000.
    const requests = (await itemsRequests()) - before;
    expect(requests).to.be.at.most(3);
    if (!inCi)
      console.log(`      QGIS: ${out.n} parcels of a 0.008° box in ${out.seconds.toFixed(2)} s, ${requests} items requests`);
  });
});
