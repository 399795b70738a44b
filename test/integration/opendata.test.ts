/**
 * Open data on both backends: metadata in /collections/{id} and through PATCH, the records catalog (OGC API -
 * Records Part 1) with its filters and paging, restricted layers only for tokens, DCAT-AP JSON-LD of the public
 * catalog, and downloads (formats, filtered selections, file names, counters, bad input).
 */
import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';
import { forEachBackend } from '../support/servers.ts';
import { useFixtureLayers } from './ogc-fixtures.test.ts';

/** A JSON document read in assertions (deep, loosely typed on purpose). */

type Json = any;

interface RecordPage {
  numberMatched: number;
  numberReturned: number;
  features: Array<{ id: string; properties: Record<string, unknown>; links: Array<{ rel: string; href: string; type: string }> }>;
  links: Array<{ rel: string; href: string }>;
}

forEachBackend('open data: metadata, records, DCAT and downloads', (server) => {
  const fx = useFixtureLayers(server, 'odapi');
  let reader: string;
  let admin: string;
  const run = Math.random().toString(36).slice(2, 8);
  before(async () => {
    reader = (await createToken(server().ctx.db, `đọc ${run}`, 'viewer', cliActor)).token;
    admin = (await createToken(server().ctx.db, `quản trị ${run}`, 'admin', cliActor)).token;
  });
  const get = (path: string, token?: string) =>
    fetch(`${server().url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const records = async (query: string, token?: string) => {
    const res = await get(`/collections/opendata-catalog/items?${query}`, token);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as RecordPage;
  };
  const ids = (page: RecordPage) => page.features.map((f) => f.id);

  it('shows the metadata record of a built-in layer in /collections/{id}, with its temporal extent', async () => {
    const body = (await (await get('/collections/landuse_parcels')).json()) as Record<string, Json>;
    expect(body.metadata.abstract.vi).to.match(/Thửa đất/);
    expect(body.metadata.topicCategories).to.include('planningCadastre');
    expect(body.metadata.licence.url).to.match(/^https:/);
    expect(body.extent.temporal.interval).to.deep.equal([['2021-01-01', '2030-12-31']]);
  });

  it('describes the catalog as a collection of records', async () => {
    const body = (await (await get('/collections/opendata-catalog')).json()) as Record<string, Json>;
    expect(body.itemType).to.equal('record');
    expect(body.type).to.equal('Catalog');
    expect(body.links.map((l: { rel: string }) => l.rel)).to.include.members(['self', 'items']);
  });

  it('lists public layers as records and the restricted ones only for a token', async () => {
    const anonymous = await records('limit=1000');
    expect(ids(anonymous)).to.include.members(['landuse_parcels', 'roads', fx().zones]);
    expect(ids(anonymous)).not.to.include.members(['bts_stations']);
    expect(ids(anonymous)).not.to.include(fx().secret);
    const withToken = await records('limit=1000', reader);
    expect(ids(withToken)).to.include.members(['bts_stations', fx().secret]);
    expect((await get(`/collections/opendata-catalog/items/bts_stations`)).status).to.equal(404);
    expect((await get(`/collections/opendata-catalog/items/bts_stations`, reader)).status).to.equal(200);
  });

  it('links each record to its features, tiles, TileJSON, every download and its licence', async () => {
    const rec = (await (await get('/collections/opendata-catalog/items/landuse_parcels')).json()) as Record<string, Json>;
    const rels = rec.links.map((l: { rel: string }) => l.rel);
    expect(rels).to.include.members([
      'self',
      'items',
      'tilejson',
      'license',
      'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector',
    ]);
    const downloads = rec.links
      .filter((l: { rel: string }) => l.rel === 'enclosure')
      .map((l: { href: string }) => new URL(l.href).searchParams.get('format'));
    expect(downloads).to.deep.equal(['geojson', 'csv', 'kml', 'gpkg', 'shp']);
    expect(rec.geometry.type).to.equal('Polygon');
    expect(rec.properties.type).to.equal('dataset');
    expect(rec.properties.themes[0].concepts.map((c: { id: string }) => c.id)).to.include('planningCadastre');
    expect(rec.properties.themes[1].concepts[0].title).to.equal('Đất đai');
  });

  it('finds records by q without diacritics, by keyword and by theme', async () => {
    // The land-use plan of 2030 speaks of parcels too.
    expect(ids(await records('q=thua dat quy hoach'))).to.include('landuse_parcels');
    expect(ids(await records('q=THỬA ĐẤT'))).to.include('landuse_parcels');
    expect(ids(await records('keywords=quy hoach'))).to.deep.equal(['landuse_parcels']);
    const planning = ['landuse_parcels', 'industrial_zones', 'landuse_plan_2030', 'transport_plan'];
    expect(ids(await records('themes=planningCadastre'))).to.have.members(planning);
    expect(ids(await records('themes=giao-thong'))).to.have.members(['roads', 'transport_plan']);
    expect(ids(await records('q=xyzzy-nothing'))).to.deep.equal([]);
  });

  it('filters records by bbox, datetime and type', async () => {
    const far = await records('bbox=0,0,1,1&limit=1000');
    expect(ids(far)).not.to.include('landuse_parcels');
    expect(ids(await records('bbox=106,21,106.2,21.2&limit=1000'))).to.include('landuse_parcels');
    const now = ids(await records('datetime=2026-01-01&limit=1000'));
    expect(now).to.include.members(['landuse_parcels', 'admin_communes_2025']);
    expect(now).not.to.include('admin_communes');
    expect(ids(await records('datetime=2010-01-01/2010-12-31&limit=1000'))).to.include('admin_communes');
    expect((await records('type=service')).numberMatched).to.equal(0);
    expect((await records('type=dataset&limit=1000')).numberMatched).to.be.greaterThan(5);
  });

  it('pages through the records with next and prev links', async () => {
    const first = await records('limit=2');
    expect(first.numberReturned).to.equal(2);
    const next = first.links.find((l) => l.rel === 'next')!;
    const second = (await (await fetch(next.href)).json()) as RecordPage;
    expect(second.features[0].id).not.to.equal(first.features[0].id);
    expect(second.links.some((l) => l.rel === 'prev')).to.equal(true);
  });

  it('answers 400 naming the parameter for bad records queries', async () => {
    for (const [query, param] of [
      ['bbox=1,2,3', 'bbox'],
      ['datetime=yesterday', 'datetime'],
      ['limit=0', 'limit'],
      ['colour=red', 'colour'],
    ]) {
      const res = await get(`/collections/opendata-catalog/items?${query}`);
      expect(res.status, query).to.equal(400);
      expect(((await res.json()) as { description: string }).description).to.include(param);
    }
  });

  it('publishes the public catalog as DCAT-AP JSON-LD, a distribution per download format', async () => {
    const res = await get('/catalog.jsonld', reader);
    expect(res.headers.get('content-type')).to.match(/application\/ld\+json/);
    const doc = (await res.json()) as Record<string, Json>;
    expect(doc['@type']).to.equal('dcat:Catalog');
    const datasets = doc['dcat:dataset'] as Array<Record<string, Json>>;
    const idsInDcat = datasets.map((d) => d['dct:identifier']);
    expect(idsInDcat).to.include('landuse_parcels');
    expect(idsInDcat).not.to.include('bts_stations');
    const parcels = datasets.find((d) => d['dct:identifier'] === 'landuse_parcels')!;
    expect(parcels['dcat:distribution']).to.have.length(5);
    expect(parcels['dcat:distribution'].map((d: Json) => d['dct:format']['@id'])).to.include(
      'http://publications.europa.eu/resource/authority/file-type/GPKG',
    );
    expect(parcels['dct:accrualPeriodicity']['@id']).to.match(/frequency\/ANNUAL$/);
    expect(parcels['dcat:contactPoint']['vcard:hasEmail']['@id']).to.match(/^mailto:/);
    expect(parcels['dct:spatial']['dcat:bbox']['@value']).to.match(/^POLYGON\(\(/);
  });

  it('validates metadata written through PATCH and shows it at once', async () => {
    const patch = (body: unknown) =>
      fetch(`${server().url}/admin/layers/${fx().zones}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const good = (await (await get('/collections/landuse_parcels')).json()) as { metadata: Record<string, unknown> };
    const bad = await patch({ metadata: { ...good.metadata, contactPoint: { organisation: 'Sở', email: 'not-an-email' } } });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { description: string }).description).to.include('metadata.contactPoint.email');
    const unknownCategory = await patch({ metadata: { ...good.metadata, categories: ['khong-co'] } });
    expect(unknownCategory.status).to.equal(400);
    const ok = await patch({ metadata: { ...good.metadata, version: '2.0-odapi' } });
    expect(ok.status, await ok.clone().text()).to.equal(200);
    await server().ctx.catalog.load();
    const after = (await (await get(`/collections/${fx().zones}`)).json()) as { metadata: { version: string } };
    expect(after.metadata.version).to.equal('2.0-odapi');
    expect((await records(`ids=${fx().zones}`)).features[0].properties.version).to.equal('2.0-odapi');
  });

  it('downloads a filtered selection with the same features as /items, under a Vietnamese file name', async () => {
    const filter = encodeURIComponent("code = 'LUA'");
    const items = (await (
      await get(`/collections/${fx().zones}/items?filter=${filter}&bbox=105.9,21,106.1,21.2&limit=1000`)
    ).json()) as {
      numberMatched: number;
      features: Array<{ id: number; properties: Record<string, unknown> }>;
    };
    expect(items.numberMatched).to.be.greaterThan(0);
    const res = await get(`/collections/${fx().zones}/download?format=geojson&filter=${filter}&bbox=105.9,21,106.1,21.2`);
    expect(res.status).to.equal(200);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).to.include(`filename="${fx().zones}.geojson"`);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1])).to.equal('odapi khu quy hoạch.geojson');
    const body = (await res.json()) as typeof items;
    expect(body.features.map((f) => f.id)).to.deep.equal(items.features.map((f) => f.id).sort((a, b) => a - b));
    expect(body.features[0].properties).to.deep.equal(items.features.find((f) => f.id === body.features[0].id)!.properties);
  });

  it('writes CSV with WKT or X/Y, and KML placemarks, for the whole layer', async () => {
    const bytes = Buffer.from(await (await get(`/collections/${fx().zones}/download?format=csv`)).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]); // the BOM that makes Excel read UTF-8
    const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
    expect(lines[0]).to.equal('id,code,area_ha,floors,active,since,"chủ ""sở"" hữu",WKT');
    expect(lines).to.have.length(fx().zoneCount + 1);
    expect(lines[1]).to.match(/,"?POLYGON\(\(106 21\.1,/);
    const xy = await (await get(`/collections/${fx().points}/download?format=csv&geometry=xy`)).text();
    expect(xy.split('\r\n')[0]).to.equal('id,name,kind,height,X,Y');
    expect(xy.trim().split('\r\n')).to.have.length(fx().pointCount + 1);
    const kml = await (await get(`/collections/${fx().points}/download?format=kml`)).text();
    expect(kml.match(/<Placemark /g)).to.have.length(fx().pointCount);
    expect(kml).to.include('<SimpleData name="name">Chợ Bắc Giang</SimpleData>');
  });

  it('hides restricted layers from downloads without a token', async () => {
    expect((await get(`/collections/${fx().secret}/download?format=geojson`)).status).to.equal(404);
    expect((await get(`/collections/${fx().secret}/download?format=geojson`, reader)).status).to.equal(200);
  });

  it('answers 400 naming the parameter for bad download requests', async () => {
    const cases: Array<[string, string]> = [
      ['', 'format'],
      ['format=xls', 'format'],
      ['format=kml&crs=EPSG:9209', 'crs'],
      ['format=geojson&crs=EPSG:1234', 'crs'],
      ['format=csv&geometry=xy', 'geometry'],
      ['format=geojson&limit=5', 'limit'],
      ['format=geojson&filter=nope%20%3D', 'filter'],
      ['format=geojson&colour=red', 'colour'],
    ];
    for (const [query, param] of cases) {
      const res = await get(`/collections/${fx().zones}/download?${query}`);
      expect(res.status, query).to.equal(400);
      expect(((await res.json()) as { description: string }).description, query).to.include(param);
    }
  });

  it('counts each download per dataset and format, and reports the counts', async () => {
    const before = (await (await get('/opendata/downloads')).json()) as {
      datasets: Array<{ id: string; downloads: Record<string, number> }>;
    };
    const count = (body: typeof before, f: string) => body.datasets.find((d) => d.id === fx().lines)?.downloads[f] ?? 0;
    await (await get(`/collections/${fx().lines}/download?format=kml`)).text();
    await (await get(`/collections/${fx().lines}/download?format=kml`)).text();
    await (await get(`/collections/${fx().lines}/download?format=gpkg`)).arrayBuffer();
    const after = (await (await get('/opendata/downloads')).json()) as typeof before;
    expect(count(after, 'kml') - count(before, 'kml')).to.equal(2);
    expect(count(after, 'gpkg') - count(before, 'gpkg')).to.equal(1);
    expect(after.datasets.map((d) => d.id)).not.to.include('bts_stations');
  });

  it('documents the open-data paths in an OpenAPI document that still validates', async () => {
    const doc = (await (await get('/api')).json()) as { paths: Record<string, unknown> };
    const result = await new Validator().validate(doc as never);
    expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
    for (const p of ['/collections/opendata-catalog/items', '/catalog.jsonld', '/collections/{collectionId}/download'])
      expect(doc.paths).to.have.property(p);
  });
});
