import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachBackend } from '../support/servers.ts';
import { defaults } from '../../server/config.ts';
import { LayerDefinitionError, loadLayerDefinitions } from '../../server/catalog/definition.ts';

const definitions = loadLayerDefinitions(defaults.layersDir);
const admin = { role: 'admin' as const, tokenId: 'test', name: 'test' };

describe('built-in layer definitions', () => {
  it('defines the demo layers of every family, each id matching its file name', () => {
    const files = fs
      .readdirSync(defaults.layersDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    expect(definitions.map((d) => d.id)).to.deep.equal(files.sort());
    expect(definitions.map((d) => d.id)).to.include.members([
      'admin_provinces',
      'admin_districts',
      'admin_communes',
      'roads',
      'rivers',
      'places',
      'landuse_parcels',
      'industrial_zones',
      'bts_stations',
    ]);
    expect(new Set(definitions.map((d) => d.group))).to.include.members(['basemap', 'landuse', 'industry', 'telecom']);
  });

  it('draws base polygons first and points last', () => {
    const order = (id: string) => definitions.find((d) => d.id === id)!.sortOrder;
    expect(order('landuse_parcels')).to.be.lessThan(order('roads'));
    expect(order('admin_communes')).to.be.lessThan(order('roads'));
    expect(order('roads')).to.be.lessThan(order('places'));
    expect(order('places')).to.be.lessThan(order('bts_stations'));
  });

  it('gives every layer an attribution and a licence, and restricts the BTS stations', () => {
    for (const d of definitions) {
      expect(d.attribution, d.id).to.not.equal('');
      expect(d.licence, d.id).to.not.equal('');
    }
    expect(definitions.find((d) => d.id === 'admin_communes')!.attribution).to.contain('censusVN2009');
    expect(definitions.find((d) => d.id === 'landuse_parcels')!.attribution).to.contain('Generated demo data (not real)');
    expect(definitions.find((d) => d.id === 'bts_stations')!.access).to.equal('restricted');
  });

  it('styles categorical layers by one of their own columns', () => {
    for (const d of definitions) {
      if (d.style.type !== 'categorical') continue;
      expect(
        d.columns.map((c) => c.name),
        d.id,
      ).to.include(d.style.property);
    }
    const parcels = definitions.find((d) => d.id === 'landuse_parcels')!;
    const colours = new Map(parcels.style.categories!.map((c) => [c.value, c.color]));
    expect(colours.get('LUA')).to.equal('#ffff64');
  });
});

describe('loading a broken layer definition', () => {
  let dir: string;
  const good = JSON.parse(fs.readFileSync(path.join(defaults.layersDir, 'rivers.json'), 'utf8')) as Record<string, unknown>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-layers-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<{ title: string; file: string; content: string; field: RegExp; names?: string }> = [
    {
      title: 'an unknown geometry type',
      file: 'rivers.json',
      content: JSON.stringify({ ...good, geometryType: 'Circle' }),
      field: /field "geometryType"/,
    },
    {
      title: 'a zoom that is not a number',
      file: 'rivers.json',
      content: JSON.stringify({ ...good, minzoom: 'ten' }),
      field: /field "minzoom"/,
    },
    {
      title: 'a column label without Vietnamese',
      file: 'rivers.json',
      content: JSON.stringify({ ...good, columns: [{ name: 'name', type: 'string', label: { en: 'Name' } }] }),
      field: /field "columns\.0\.label\.vi"/,
    },
    {
      title: 'a colour that is not #rrggbb',
      file: 'rivers.json',
      content: JSON.stringify({ ...good, style: { type: 'single', color: 'blue' } }),
      field: /field "style\.color"/,
    },
    { title: 'an id that differs from the file name', file: 'streams.json', content: JSON.stringify(good), field: /field "id"/ },
    {
      title: 'text that is not JSON',
      file: 'rivers.json',
      content: '{"id": "rivers",',
      field: /not valid JSON/,
      names: 'the problem',
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.title} with a message naming the file and ${c.names ?? 'the field'}`, () => {
      fs.writeFileSync(path.join(dir, c.file), c.content);
      expect(() => loadLayerDefinitions(dir)).to.throw(
        LayerDefinitionError,
        new RegExp(`${c.file.replace('.', '\\.')}.*${c.field.source}`),
      );
    });
  }
});

forEachBackend('layer catalog after start', (server) => {
  it('holds every layer in layers/, with data and bounds inside the province', () => {
    const ids = server()
      .ctx.catalog.list(admin)
      .map((l) => l.id);
    expect(ids).to.include.members(definitions.map((d) => d.id));
    for (const d of definitions) {
      const layer = server().ctx.catalog.find(d.id)!;
      expect(layer.origin, d.id).to.equal('builtin');
      expect(layer.bounds, `bounds of ${d.id}`).to.not.equal(null);
      const [minx, miny, maxx, maxy] = layer.bounds!;
      expect(minx, d.id).to.be.at.least(105.88);
      expect(miny, d.id).to.be.at.least(20.96);
      expect(maxx, d.id).to.be.at.most(107.04);
      expect(maxy, d.id).to.be.at.most(21.63);
    }
  });

  it('hides the restricted BTS stations from anonymous callers', () => {
    expect(
      server()
        .ctx.catalog.list(null)
        .map((l) => l.id),
    ).to.not.include('bts_stations');
    expect(
      server()
        .ctx.catalog.list(admin)
        .map((l) => l.id),
    ).to.include('bts_stations');
  });

  it('finds every declared column in its table, and an id primary key and a GiST-indexed geom', async () => {
    const db = server().ctx.db;
    for (const d of definitions) {
      const cols = await db.rows<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?',
        [d.table],
      );
      const names = cols.map((c) => c.column_name);
      expect(names, d.table).to.include.members(['id', 'geom', ...d.columns.map((c) => c.name)]);
      const [gist] = await db.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = ? AND indexdef ILIKE '%USING gist (geom)%'`,
        [d.table],
      );
      expect(gist.n, `GiST index on ${d.table}.geom`).to.equal(1);
      const [srid] = await db.rows<{ srid: number; type: string }>(
        'SELECT srid, type FROM geometry_columns WHERE f_table_name = ? AND f_geometry_column = ?',
        [d.table, 'geom'],
      );
      expect(srid.srid, d.table).to.equal(4326);
      expect(srid.type.replace(/^MULTI/, '').toLowerCase(), d.table).to.equal(d.geometryType.toLowerCase());
    }
  });
});
