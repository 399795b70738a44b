/**
 * Feature edits (OGC API Features Part 4) over real HTTP on every backend: who may edit, If-Match and 412 under
 * concurrent edits, every validation error, Content-Crs (VN-2000 TM-3), history and restore, the audit log, per-area
 * tile invalidation after an edit, and GDAL's OAPIF driver reading the edited layer.
 */
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { hasOgrinfo, requireTool } from '../support/environment.ts';
import type { RunningServer } from '../../server/server.ts';
import { createToken, type CreatedToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';
import { proj4Transformer } from '../../server/crs/transform.ts';

const run = promisify(execFile);

/** The test layer: an uploaded-style table (MultiPolygon, src_row NOT NULL) owned by the editor token. */
const layerId = 'ed_parcels';

type Ring = number[][];
/** A square of `side` degrees with its south-west corner at lon/lat. */
const square = (lon: number, lat: number, side = 0.0005): Ring[] => [
  [
    [lon, lat],
    [lon + side, lat],
    [lon + side, lat + side],
    [lon, lat + side],
    [lon, lat],
  ],
];
const polygon = (lon: number, lat: number) => ({ type: 'Polygon', coordinates: square(lon, lat) });
const feature = (geometry: unknown, properties: Record<string, unknown> = {}) => ({ type: 'Feature', geometry, properties });

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function send(
  s: RunningServer,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/geo+json';
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const items = `/collections/${layerId}/items`;

function getTile(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

forEachBackend('edit: OGC API Features Part 4 with history', (server) => {
  let admin: CreatedToken;
  let editor: CreatedToken;
  let other: CreatedToken;
  let viewer: CreatedToken;
  const run6 = Math.random().toString(36).slice(2, 8);

  before(async function () {
    this.timeout(60_000);
    const s = server();
    const db = s.ctx.db;
    admin = await createToken(db, `edit admin ${run6}`, 'admin', cliActor);
    editor = await createToken(db, `edit editor ${run6}`, 'editor', cliActor);
    other = await createToken(db, `edit other ${run6}`, 'editor', cliActor);
    viewer = await createToken(db, `edit viewer ${run6}`, 'viewer', cliActor);
    await db.rows(`DELETE FROM layer_catalog WHERE id = ?`, [layerId]);
    await db.rows(`DELETE FROM feature_history WHERE layer_id = ?`, [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await db.rows(`CREATE TABLE ${layerId} (id integer PRIMARY KEY, src_row integer NOT NULL, ma_dat text, so_thua integer NOT NULL DEFAULT 0,
      dien_tich numeric, ngay date, geom geometry(MultiPolygon, 4326) NOT NULL)`);
    await db.rows(`CREATE INDEX ON ${layerId} USING gist (geom)`);
    await db.rows(`INSERT INTO ${layerId} VALUES (1, 1, 'LUA', 7, 1200.5, '2024-05-01',
      ST_Multi(ST_MakeEnvelope(106.05, 21.15, 106.0505, 21.1505, 4326)))`);
    const col = (name: string, type: string) => ({ name, type, label: { en: name, vi: name } });
    await db.knex('layer_catalog').insert({
      id: layerId,
      title: 'Edit parcels',
      layer_group: 'landuse',
      source_table: layerId,
      geometry_type: 'Polygon',
      minzoom: 0,
      maxzoom: 18,
      columns: JSON.stringify([
        col('ma_dat', 'string'),
        col('so_thua', 'integer'),
        col('dien_tich', 'number'),
        col('ngay', 'date'),
      ]),
      style: JSON.stringify({ type: 'single', color: '#ff0000' }),
      tile_options: JSON.stringify({}),
      access: 'public',
      origin: 'upload',
      owner: editor.id,
    });
    await s.ctx.catalog.load();
  });

  after(async () => {
    const db = server().ctx.db;
    await db.rows(`DELETE FROM layer_catalog WHERE id = ?`, [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await server().ctx.catalog.load();
  });

  it('answers 401 to anonymous edits, 403 to viewers, other editors and editors of built-in layers', async () => {
    const s = server();
    const body = feature(polygon(106.06, 21.16), { ma_dat: 'ONT' });
    expect((await send(s, 'POST', items, null, body)).status).to.equal(401);
    expect((await send(s, 'POST', items, viewer.token, body)).status).to.equal(403);
    const stranger = await send(s, 'POST', items, other.token, body);
    expect(stranger.status).to.equal(403);
    expect(stranger.json.description).to.match(/only the token that owns it or an admin/);
    const builtin = await send(
      s,
      'PATCH',
      '/collections/landuse_parcels/items/1',
      editor.token,
      { properties: { code: 'ONT' } },
      { 'If-Match': '*' },
    );
    expect(builtin.status).to.equal(403);
    expect(builtin.json.description).to.match(/built-in layer: only an admin/);
    expect((await send(s, 'DELETE', `${items}/1`, other.token, undefined, { 'If-Match': '*' })).status).to.equal(403);
  });

  it('creates a feature: 201 with Location and an ETag that GET of the feature repeats', async () => {
    const s = server();
    const created = await send(
      s,
      'POST',
      items,
      editor.token,
      feature(polygon(106.06, 21.16), { ma_dat: 'ONT', so_thua: 12, dien_tich: 250.5, ngay: '2026-07-01' }),
    );
    expect(created.status, JSON.stringify(created.json)).to.equal(201);
    const location = created.headers.get('location')!;
    expect(location).to.match(new RegExp(`/collections/${layerId}/items/2$`));
    const etag = created.headers.get('etag');
    expect(etag).to.match(/^"[0-9a-f]{32}"$/);
    expect(created.json.properties).to.deep.equal({ ma_dat: 'ONT', so_thua: 12, dien_tich: 250.5, ngay: '2026-07-01' });
    const got = await fetch(location);
    expect(got.status).to.equal(200);
    expect(got.headers.get('etag')).to.equal(etag);
    const body = (await got.json()) as { geometry: { type: string }; properties: Record<string, unknown> };
    expect(body.geometry.type).to.equal('MultiPolygon'); // stored as the table's type
    expect(body.properties.ma_dat).to.equal('ONT');
    const [row] = await s.ctx.db.rows<{ src_row: number }>(`SELECT src_row FROM ${layerId} WHERE id = 2`);
    expect(row.src_row).to.equal(0);
  });

  it('needs If-Match for PUT, PATCH and DELETE (428), answers 412 to a stale one and applies a current one', async () => {
    const s = server();
    const created = await send(s, 'POST', items, editor.token, feature(polygon(106.061, 21.161), { ma_dat: 'CLN', so_thua: 3 }));
    const path = new URL(created.headers.get('location')!).pathname;
    const etag = created.headers.get('etag')!;
    for (const [method, body] of [
      ['PUT', feature(polygon(106.061, 21.161))],
      ['PATCH', { properties: { ma_dat: 'ODT' } }],
      ['DELETE', undefined],
    ] as const) {
      const r = await send(s, method, path, editor.token, body);
      expect(r.status, method).to.equal(428);
      expect(r.json.description).to.match(/If-Match/);
      expect(
        (await send(s, method, path, editor.token, body, { 'If-Match': '"0123456789abcdef0123456789abcdef"' })).status,
        method,
      ).to.equal(412);
    }
    const patched = await send(
      s,
      'PATCH',
      path,
      editor.token,
      { properties: { ma_dat: 'ODT', dien_tich: null } },
      { 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' },
    );
    expect(patched.status, JSON.stringify(patched.json)).to.equal(200);
    expect(patched.json.properties).to.include({ ma_dat: 'ODT', so_thua: 3, dien_tich: null });
    const etag2 = patched.headers.get('etag')!;
    expect(etag2).to.not.equal(etag);
    expect((await send(s, 'PATCH', path, editor.token, { properties: { ma_dat: 'LUA' } }, { 'If-Match': etag })).status).to.equal(
      412,
    );
    const replaced = await send(s, 'PUT', path, editor.token, feature(polygon(106.062, 21.162), { ma_dat: 'SKK', so_thua: 4 }), {
      'If-Match': etag2,
    });
    expect(replaced.status, JSON.stringify(replaced.json)).to.equal(200);
    expect(replaced.json.properties).to.deep.equal({ ma_dat: 'SKK', so_thua: 4, dien_tich: null, ngay: null });
    expect((await send(s, 'DELETE', path, editor.token, undefined, { 'If-Match': etag2 })).status).to.equal(412);
    expect(
      (await send(s, 'DELETE', path, editor.token, undefined, { 'If-Match': replaced.headers.get('etag')! })).status,
    ).to.equal(204);
    expect((await fetch(`${s.url}${path}`)).status).to.equal(404);
    expect((await send(s, 'PATCH', path, editor.token, { properties: { ma_dat: 'LUA' } }, { 'If-Match': '*' })).status).to.equal(
      404,
    );
  });

  it('lets only one of two concurrent PATCHes with the same ETag win: one 200, one 412', async () => {
    const s = server();
    const created = await send(s, 'POST', items, editor.token, feature(polygon(106.063, 21.163), { ma_dat: 'LUA' }));
    const path = new URL(created.headers.get('location')!).pathname;
    const etag = created.headers.get('etag')!;
    const results = await Promise.all(
      ['ONT', 'ODT'].map((code) => send(s, 'PATCH', path, editor.token, { properties: { ma_dat: code } }, { 'If-Match': etag })),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 412]);
    const winner = results.find((r) => r.status === 200)!;
    const now = (await (await fetch(`${s.url}${path}`)).json()) as { properties: { ma_dat: string } };
    expect(now.properties.ma_dat).to.equal((winner.json.properties as { ma_dat: string }).ma_dat);
  });

  const bowtie = {
    type: 'Polygon',
    coordinates: [
      [
        [106.07, 21.17],
        [106.071, 21.171],
        [106.071, 21.17],
        [106.07, 21.171],
        [106.07, 21.17],
      ],
    ],
  };
  const invalid: Array<[string, unknown, Record<string, string>, number, RegExp]> = [
    [
      'a geometry of another type',
      feature({
        type: 'LineString',
        coordinates: [
          [106.07, 21.17],
          [106.08, 21.18],
        ],
      }),
      {},
      400,
      /"geometry".*LineString cannot be stored.*Polygon/,
    ],
    ['an invalid geometry (self-intersection)', feature(bowtie), {}, 400, /"geometry".*invalid \(Self-intersection.*repair=true/],
    ['a geometry outside Vietnam', feature(polygon(2.35, 48.85)), {}, 400, /"geometry".*outside Vietnam/],
    ['a geometry without coordinates', feature({ type: 'Polygon' }), {}, 400, /"geometry.coordinates"/],
    [
      'an unclosed ring',
      feature({
        type: 'Polygon',
        coordinates: [
          [
            [106.07, 21.17],
            [106.08, 21.17],
            [106.08, 21.18],
            [106.07, 21.18],
          ],
        ],
      }),
      {},
      400,
      /ring 0 of polygon 0.*must end where it starts/,
    ],
    [
      'TM-3 coordinates far outside the zone',
      feature({
        type: 'Polygon',
        coordinates: [
          [
            [1e30, 1e30],
            [2e30, 1e30],
            [2e30, 2e30],
            [1e30, 1e30],
          ],
        ],
      }),
      { 'Content-Crs': '<http://www.opengis.net/def/crs/EPSG/0/9209>' },
      400,
      /"geometry"/,
    ],
    ['a missing geometry', { type: 'Feature', properties: {} }, {}, 400, /"geometry" is required/],
    [
      'an unknown property',
      feature(polygon(106.07, 21.17), { ma_xa: '1' }),
      {},
      400,
      /property "ma_xa" is not a column of layer "ed_parcels"/,
    ],
    [
      'a string for an integer',
      feature(polygon(106.07, 21.17), { so_thua: 'mười' }),
      {},
      400,
      /property "so_thua".*"mười" is not a whole number/,
    ],
    ['a fraction for an integer', feature(polygon(106.07, 21.17), { so_thua: 1.5 }), {}, 400, /property "so_thua"/],
    ['a number for a string', feature(polygon(106.07, 21.17), { ma_dat: 5 }), {}, 400, /property "ma_dat".*not a string/],
    ['a bad date', feature(polygon(106.07, 21.17), { ngay: '2026-13-45' }), {}, 400, /property "ngay"/],
    [
      'an unknown Content-Crs',
      feature(polygon(106.07, 21.17)),
      { 'Content-Crs': '<http://www.opengis.net/def/crs/EPSG/0/1234567>' },
      400,
      /header "Content-Crs"/,
    ],
    ['a body that is not a Feature', { type: 'FeatureCollection', features: [] }, {}, 400, /GeoJSON Feature/],
    ['a body that is not JSON', '{"type": "Feature",', {}, 400, /./],
    [
      'a body of another media type',
      'type=Feature',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      415,
      /Content-Type/,
    ],
  ];
  for (const [what, body, headers, status, message] of invalid) {
    it(`refuses ${what} with ${status} naming it`, async () => {
      const s = server();
      const count = () => s.ctx.db.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${layerId}`);
      const before = await count();
      const r = await send(s, 'POST', items, editor.token, body, headers);
      expect(r.status, JSON.stringify(r.json)).to.equal(status);
      expect(String(r.json.description)).to.match(message);
      expect(await count()).to.deep.equal(before);
    });
  }

  it('refuses a bad If-Match, a patch of other keys and an unknown repair value with 400 naming them', async () => {
    const s = server();
    const badMatch = await send(s, 'PATCH', `${items}/1`, editor.token, { properties: { ma_dat: 'LUA' } }, { 'If-Match': 'abc' });
    expect(badMatch.status).to.equal(400);
    expect(badMatch.json.description).to.match(/"If-Match"/);
    const otherKey = await send(s, 'PATCH', `${items}/1`, editor.token, { bbox: [0, 0, 1, 1] }, { 'If-Match': '*' });
    expect(otherKey.status).to.equal(400);
    expect(otherKey.json.description).to.match(/field "bbox"/);
    const repair = await send(s, 'POST', `${items}?repair=yes`, editor.token, feature(polygon(106.07, 21.17)));
    expect(repair.status).to.equal(400);
    expect(repair.json.description).to.match(/"repair"/);
  });

  it('refuses a body over LIMIT_QUERY_BODY_BYTES with 413', async () => {
    const s = server();
    const big = JSON.stringify(feature(polygon(106.07, 21.17), { ma_dat: 'x'.repeat(s.ctx.config.limitQueryBodyBytes) }));
    const r = await send(s, 'POST', items, editor.token, big);
    expect(r.status).to.equal(413);
  });

  it('repairs an invalid geometry with ST_MakeValid only when asked (?repair=true)', async () => {
    const s = server();
    const r = await send(s, 'POST', `${items}?repair=true`, editor.token, feature(bowtie, { ma_dat: 'DGT' }));
    expect(r.status, JSON.stringify(r.json)).to.equal(201);
    const fid = (r.json as { id: number }).id;
    const [row] = await s.ctx.db.rows<{ valid: boolean; n: number }>(
      `SELECT ST_IsValid(geom) AS valid, ST_NumGeometries(geom) AS n FROM ${layerId} WHERE id = ?::int`,
      [fid],
    );
    expect(row).to.deep.equal({ valid: true, n: 2 });
  });

  it('reads coordinates in VN-2000 TM-3 (Content-Crs EPSG:9209) and in EPSG:4326 latitude first', async () => {
    const s = server();
    const tm3 = proj4Transformer(4326, 9209);
    const ring = square(106.08, 21.18)[0];
    const projected = { type: 'Polygon', coordinates: [ring.map(([x, y]) => tm3.forward([x, y]))] };
    const r = await send(s, 'POST', items, editor.token, feature(projected, { ma_dat: 'SKN' }), {
      'Content-Crs': '<http://www.opengis.net/def/crs/EPSG/0/9209>',
    });
    expect(r.status, JSON.stringify(r.json)).to.equal(201);
    const stored = (r.json.geometry as { coordinates: number[][][][] }).coordinates[0][0];
    for (const [i, [lon, lat]] of ring.entries()) {
      const found = stored.find(([x, y]) => Math.abs(x - lon) < 1e-6 && Math.abs(y - lat) < 1e-6);
      expect(found, `vertex ${i} ${lon} ${lat} in ${JSON.stringify(stored)}`).to.not.equal(undefined);
    }
    const latFirst = { type: 'Polygon', coordinates: [ring.map(([x, y]) => [y, x + 0.01])] };
    const r2 = await send(s, 'POST', items, editor.token, feature(latFirst), {
      'Content-Crs': '<http://www.opengis.net/def/crs/EPSG/0/4326>',
    });
    expect(r2.status, JSON.stringify(r2.json)).to.equal(201);
    const first = (r2.json.geometry as { coordinates: number[][][][] }).coordinates[0][0][0];
    expect(first[0]).to.be.closeTo(106.09, 0.001);
    expect(first[1]).to.be.closeTo(21.18, 0.001);
  });

  it('keeps every version with who, when and what changed, and lets an admin restore one, also after a delete', async () => {
    const s = server();
    // The audit log of a persistent test database keeps earlier runs: look only at rows written from here on.
    const [{ auditBefore }] = await s.ctx.db.rows<{ auditBefore: number }>(
      'SELECT coalesce(max(id), 0)::int AS "auditBefore" FROM audit_log',
    );
    const created = await send(s, 'POST', items, editor.token, feature(polygon(106.064, 21.164), { ma_dat: 'LUA', so_thua: 9 }));
    const path = new URL(created.headers.get('location')!).pathname;
    const fid = Number(path.split('/').pop());
    const patched = await send(
      s,
      'PATCH',
      path,
      editor.token,
      { properties: { ma_dat: 'ONT' } },
      { 'If-Match': created.headers.get('etag')! },
    );
    const moved = await send(
      s,
      'PATCH',
      path,
      editor.token,
      { geometry: polygon(106.065, 21.165) },
      { 'If-Match': patched.headers.get('etag')! },
    );
    expect(moved.status).to.equal(200);
    expect((await send(s, 'DELETE', path, editor.token, undefined, { 'If-Match': moved.headers.get('etag')! })).status).to.equal(
      204,
    );

    expect((await send(s, 'GET', `${path}/history`, null)).status).to.equal(401);
    const history = await send(s, 'GET', `${path}/history`, viewer.token);
    expect(history.status).to.equal(200);
    const versions = history.json.versions as Array<{
      version: number;
      action: string;
      actor: string;
      tokenId: string;
      changed: string[];
      at: string;
      after: unknown;
    }>;
    expect(versions.map((v) => [v.version, v.action])).to.deep.equal([
      [1, 'create'],
      [2, 'update'],
      [3, 'update'],
      [4, 'delete'],
    ]);
    expect(versions[1].changed).to.deep.equal(['ma_dat']);
    expect(versions[2].changed).to.deep.equal(['geometry']);
    expect(versions.every((v) => v.tokenId === editor.id && v.actor === editor.name && !Number.isNaN(Date.parse(v.at)))).to.equal(
      true,
    );
    expect(versions[3].after).to.equal(null);

    const deleted = { 'If-None-Match': '*' };
    expect((await send(s, 'POST', `${path}/history/2/restore`, editor.token, undefined, deleted)).status).to.equal(403);
    const gone = await send(s, 'POST', `${path}/history/4/restore`, admin.token, undefined, deleted);
    expect(gone.status).to.equal(400);
    expect(gone.json.description).to.match(/version 4 .* is a delete/);
    expect((await send(s, 'POST', `${path}/history/9/restore`, admin.token, undefined, deleted)).status).to.equal(404);
    const restored = await send(s, 'POST', `${path}/history/2/restore`, admin.token, undefined, deleted);
    expect(restored.status, JSON.stringify(restored.json)).to.equal(200);
    expect(restored.json.id).to.equal(fid);
    expect(restored.json.properties).to.include({ ma_dat: 'ONT', so_thua: 9 });
    const now = await fetch(`${s.url}${path}`);
    expect(now.status).to.equal(200);
    expect(now.headers.get('etag')).to.equal(restored.headers.get('etag'));
    const after = await send(s, 'GET', `${path}/history`, viewer.token);
    const last = (after.json.versions as Array<{ version: number; action: string; actor: string }>).at(-1)!;
    expect(last).to.include({ version: 5, action: 'restore', actor: admin.name });

    const audit = await s.ctx.db.rows<{
      action: string;
      details: { fid: number; version: number; before: unknown; after: unknown };
    }>(
      `SELECT action, details FROM audit_log WHERE layer_id = ? AND (details->>'fid')::int = ?::int AND id > ?::int ORDER BY id`,
      [layerId, fid, auditBefore],
    );
    expect(audit.map((a) => a.action)).to.deep.equal([
      'feature_create',
      'feature_update',
      'feature_update',
      'feature_delete',
      'feature_restore',
    ]);
    expect(audit[1].details.before).to.have.nested.property('properties.ma_dat', 'LUA');
    expect(audit[1].details.after).to.have.nested.property('properties.ma_dat', 'ONT');
    expect((await send(s, 'GET', `${items}/999999/history`, viewer.token)).status).to.equal(404);
  });

  it('needs If-Match for a restore (428), or If-None-Match: * for a deleted feature, and answers 412 when either is stale', async () => {
    const s = server();
    const created = await send(s, 'POST', items, editor.token, feature(polygon(106.066, 21.166), { ma_dat: 'LUA', so_thua: 11 }));
    const path = new URL(created.headers.get('location')!).pathname;
    const v1 = created.headers.get('etag')!;
    const patched = await send(s, 'PATCH', path, editor.token, { properties: { ma_dat: 'ONT' } }, { 'If-Match': v1 });
    const v2 = patched.headers.get('etag')!;
    const restore = (headers: Record<string, string>) =>
      send(s, 'POST', `${path}/history/1/restore`, admin.token, undefined, headers);

    const missing = await restore({});
    expect(missing.status).to.equal(428);
    expect(missing.json.description).to.match(/"If-Match" is required/);
    expect((await restore({ 'If-Match': 'W/ nonsense' })).json.description).to.match(/"If-Match"/);
    const both = await restore({ 'If-Match': v2, 'If-None-Match': '*' });
    expect(both.status).to.equal(400);
    expect(both.json.description).to.match(/If-None-Match/);
    const list = await restore({ 'If-None-Match': v2 });
    expect(list.status).to.equal(400);
    expect(list.json.description).to.match(/"If-None-Match"/);
    // The history answers the ETag of the feature as it is now, for the restore's If-Match.
    const history = await send(s, 'GET', `${path}/history`, admin.token);
    expect(history.headers.get('etag')).to.equal(v2);
    const stale = await restore({ 'If-Match': v1 });
    expect(stale.status).to.equal(412);
    const existing = await restore({ 'If-None-Match': '*' });
    expect(existing.status, 'If-None-Match: * on a feature that exists').to.equal(412);
    expect(existing.json.description).to.match(/exists again/);
    const ok = await restore({ 'If-Match': v2 });
    expect(ok.status, JSON.stringify(ok.json)).to.equal(200);
    expect(ok.json.properties).to.include({ ma_dat: 'LUA' });

    expect((await send(s, 'DELETE', path, editor.token, undefined, { 'If-Match': ok.headers.get('etag')! })).status).to.equal(
      204,
    );
    expect((await send(s, 'GET', `${path}/history`, admin.token)).headers.get('etag')).to.equal(null);
    expect((await restore({ 'If-Match': ok.headers.get('etag')! })).status, 'If-Match on a deleted feature').to.equal(412);
    const back = await restore({ 'If-None-Match': '*' });
    expect(back.status, JSON.stringify(back.json)).to.equal(200);
    expect((await restore({ 'If-None-Match': '*' })).status, 'a second restore that read it deleted').to.equal(412);
    const versions = (await send(s, 'GET', `${path}/history`, admin.token)).json.versions as Array<{ action: string }>;
    expect(versions.map((v) => v.action)).to.deep.equal(['create', 'update', 'restore', 'delete', 'restore']);
  });

  it('lets an admin edit a built-in layer', async () => {
    const s = server();
    const got = await fetch(`${s.url}/collections/landuse_parcels/items/1`);
    expect(got.status).to.equal(200);
    const etag = got.headers.get('etag')!;
    const code = ((await got.json()) as { properties: { code: string } }).properties.code;
    const next = code === 'ONT' ? 'ODT' : 'ONT';
    const r = await send(
      s,
      'PATCH',
      '/collections/landuse_parcels/items/1',
      admin.token,
      { properties: { code: next } },
      { 'If-Match': etag },
    );
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    expect((r.json.properties as { code: string }).code).to.equal(next);
  });

  it('drops the cached tile over an edit before answering it, while a far tile stays cached', async () => {
    const s = server();
    const z = 15;
    const at = (lon: number, lat: number) => ({ z, x: Math.floor(lonToTileX(lon, z)), y: Math.floor(latToTileY(lat, z)) });
    const here = at(106.0902, 21.1902);
    const far = at(106.2, 21.3);
    const tileUrl = (t: typeof here) => `${s.url}/tiles/${layerId}/${t.z}/${t.x}/${t.y}.mvt`;
    const tiles = s.app.services.tiles;
    const key = (t: typeof here) => tiles.key({ layers: [s.ctx.catalog.get(layerId, null)], coord: t });
    expect((await getTile(tileUrl(here))).status).to.equal(204);
    await getTile(tileUrl(far));
    expect(tiles.cache.get(key(here))).to.not.equal(undefined);
    expect(tiles.cache.get(key(far))).to.not.equal(undefined);
    const r = await send(s, 'POST', items, editor.token, feature(polygon(106.09, 21.19), { ma_dat: 'TMD' }));
    expect(r.status).to.equal(201);
    // Read your writes: the answer comes once this server has dropped the tile (no waiting here), for every write.
    expect(tiles.cache.get(key(here)), 'the tile over the new parcel, after the 201').to.equal(undefined);
    expect(tiles.cache.get(key(far))).to.not.equal(undefined);
    expect((await getTile(tileUrl(here))).status).to.equal(200);
    const path = new URL(r.headers.get('location')!).pathname;
    const patched = await send(
      s,
      'PATCH',
      path,
      editor.token,
      { properties: { ma_dat: 'ODT' } },
      {
        'If-Match': r.headers.get('etag')!,
        'Content-Type': 'application/merge-patch+json',
      },
    );
    expect(patched.status).to.equal(200);
    expect(tiles.cache.get(key(here)), 'the tile over the parcel, after the PATCH').to.equal(undefined);
    expect((await getTile(tileUrl(here))).status).to.equal(200);
    expect(
      (await send(s, 'DELETE', path, editor.token, undefined, { 'If-Match': patched.headers.get('etag')! })).status,
    ).to.equal(204);
    expect(tiles.cache.get(key(here)), 'the tile over the parcel, after the DELETE').to.equal(undefined);
    expect((await getTile(tileUrl(here))).status).to.equal(204);
  });

  it('declares Part 4 in /conformance and the edit operations in /api', async () => {
    const s = server();
    const conformance = (await (await fetch(`${s.url}/conformance`)).json()) as { conformsTo: string[] };
    expect(conformance.conformsTo).to.include('http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete');
    expect(conformance.conformsTo).to.include('http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update');
    const api = (await (await fetch(`${s.url}/api`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(api.paths['/collections/{collectionId}/items'].post.operationId).to.equal('createFeature');
    const item = api.paths['/collections/{collectionId}/items/{featureId}'];
    expect([item.get, item.put, item.patch, item.delete].map((o) => o.operationId)).to.deep.equal([
      'getFeature',
      'replaceFeature',
      'updateFeature',
      'deleteFeature',
    ]);
    const restore = api.paths['/collections/{collectionId}/items/{featureId}/history/{version}/restore'].post as unknown as {
      operationId: string;
      parameters: Array<{ name?: string; in?: string }>;
      responses: Record<string, unknown>;
    };
    expect(restore.operationId).to.equal('restoreFeature');
    expect(restore.parameters.filter((p) => p.in === 'header').map((p) => p.name)).to.have.members(['If-Match', 'If-None-Match']);
    expect(restore.responses).to.include.keys('412', '428');
  });

  it("still reads the edited layer through GDAL's OAPIF driver", async function () {
    requireTool(this, hasOgrinfo, 'edit: GDAL OAPIF check', 'ogrinfo (apt-get install gdal-bin)');
    const s = server();
    const { stdout } = await run('ogrinfo', ['-ro', '-al', '-so', `OAPIF:${s.url}/collections/${layerId}`], {
      timeout: 60_000,
      env: { ...process.env, GDAL_HTTP_TIMEOUT: '30' },
    });
    const [row] = await s.ctx.db.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${layerId}`);
    expect(stdout).to.include(`Feature Count: ${row.n}`);
    expect(stdout).to.match(/ma_dat: String/);
  });
});
