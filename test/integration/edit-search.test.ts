/**
 * Feature edits keep /search current on every backend: a created or renamed feature is found by its new name at once,
 * a deleted one no longer is, a restored one is again, and the old name of a renamed one is gone. The index is
 * built once before the edits; each edit updates its own entry in its transaction (no rebuild of the layer).
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { createToken, type CreatedToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';

const layerId = 'eds_places';

interface Hit {
  type: string;
  layer: string;
  id?: number;
  name: string;
  bbox: number[];
}

forEachBackend('edit: the search index follows feature edits', (server) => {
  let editor: CreatedToken;
  let admin: CreatedToken;
  const word = `qx${Math.random().toString(36).slice(2, 7)}`;

  const search = async (q: string): Promise<Hit[]> => {
    const res = await fetch(`${server().url}/search?q=${encodeURIComponent(q)}&limit=50`);
    expect(res.status).to.equal(200);
    return ((await res.json()) as { results: Hit[] }).results.filter((r) => r.layer === layerId);
  };
  const send = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server().url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/geo+json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get('etag'), json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const point = (lon: number, lat: number) => ({ type: 'Point', coordinates: [lon, lat] });

  before(async function () {
    this.timeout(60_000);
    const s = server();
    const db = s.ctx.db;
    editor = await createToken(db, `edit search editor ${word}`, 'editor', cliActor);
    admin = await createToken(db, `edit search admin ${word}`, 'admin', cliActor);
    await db.rows('DELETE FROM layer_catalog WHERE id = ?', [layerId]);
    await db.rows('DELETE FROM feature_history WHERE layer_id = ?', [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await db.rows(`CREATE TABLE ${layerId} (id integer PRIMARY KEY, name text, geom geometry(Point, 4326) NOT NULL)`);
    await db.rows(
      `INSERT INTO ${layerId} VALUES (1, 'Bưu cục Đông Ngàn ${word}', ST_SetSRID(ST_MakePoint(105.95, 21.12), 4326))`,
    );
    await db.knex('layer_catalog').insert({
      id: layerId,
      title: 'Edited places',
      title_vi: 'Địa điểm chỉnh sửa',
      layer_group: 'other',
      source_table: layerId,
      geometry_type: 'Point',
      minzoom: 0,
      maxzoom: 18,
      columns: JSON.stringify([{ name: 'name', type: 'string', label: { en: 'Name', vi: 'Tên' } }]),
      style: JSON.stringify({ type: 'single', color: '#1971c2' }),
      tile_options: JSON.stringify({}),
      access: 'public',
      origin: 'upload',
      owner: editor.id,
    });
    await s.ctx.catalog.load();
  });

  after(async () => {
    const db = server().ctx.db;
    await db.rows('DELETE FROM layer_catalog WHERE id = ?', [layerId]);
    await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await server().ctx.catalog.load();
  });

  it('finds a created, renamed or restored feature by its name at once and no longer finds a deleted one', async () => {
    expect((await search(`dong ngan ${word}`)).map((r) => r.id)).to.deep.equal([1]);
    const [state] = await server().ctx.db.rows<{ built: string }>(
      'SELECT built_at::text AS built FROM search_index_state WHERE layer_id = ?',
      [layerId],
    );

    const created = await send('POST', `/collections/${layerId}/items`, editor.token, {
      type: 'Feature',
      geometry: point(106.07, 21.18),
      properties: { name: `Trạm BTS Từ Sơn ${word}` },
    });
    expect(created.status, JSON.stringify(created.json)).to.equal(201);
    const fid = Number(created.json.id);
    const hit = await search(`tram bts tu son ${word}`);
    expect(hit.map((r) => r.id)).to.deep.equal([fid]);
    expect(hit[0].bbox).to.deep.equal([106.07, 21.18, 106.07, 21.18]);

    const renamed = await send(
      'PATCH',
      `/collections/${layerId}/items/${fid}`,
      editor.token,
      { properties: { name: `Trạm BTS Đình Bảng ${word}` }, geometry: point(106.0, 21.13) },
      { 'Content-Type': 'application/merge-patch+json', 'If-Match': created.etag! },
    );
    expect(renamed.status, JSON.stringify(renamed.json)).to.equal(200);
    expect(await search(`tu son ${word}`), 'the old name').to.deep.equal([]);
    const moved = await search(`dinh bang ${word}`);
    expect(moved.map((r) => [r.id, r.name])).to.deep.equal([[fid, `Trạm BTS Đình Bảng ${word}`]]);
    expect(moved[0].bbox).to.deep.equal([106.0, 21.13, 106.0, 21.13]);

    const cleared = await send(
      'PATCH',
      `/collections/${layerId}/items/${fid}`,
      editor.token,
      { properties: { name: null } },
      { 'If-Match': renamed.etag! },
    );
    expect(cleared.status).to.equal(200);
    expect(await search(`dinh bang ${word}`), 'a feature whose name was cleared').to.deep.equal([]);

    const deleted = await send('DELETE', `/collections/${layerId}/items/1`, editor.token, undefined, {
      'If-Match': (await fetch(`${server().url}/collections/${layerId}/items/1`)).headers.get('etag')!,
    });
    expect(deleted.status).to.equal(204);
    expect(await search(`dong ngan ${word}`), 'a deleted feature').to.deep.equal([]);

    const restored = await send('POST', `/collections/${layerId}/items/1/history/0/restore`, admin.token, undefined, {
      'If-None-Match': '*',
    });
    expect(restored.status, 'no version 0').to.equal(404);
    // The feature was never edited before its delete: version 1 is the delete, and nothing precedes it to restore.
    const history = (await send('GET', `/collections/${layerId}/items/1/history`, admin.token)).json.versions as Array<{
      version: number;
      action: string;
    }>;
    expect(history.map((v) => v.action)).to.deep.equal(['delete']);

    const back = await send('POST', `/collections/${layerId}/items/${fid}/history/2/restore`, admin.token, undefined, {
      'If-Match': cleared.etag!,
    });
    expect(back.status, JSON.stringify(back.json)).to.equal(200);
    expect(
      (await search(`dinh bang ${word}`)).map((r) => r.id),
      'a restored name',
    ).to.deep.equal([fid]);

    const [after] = await server().ctx.db.rows<{ built: string }>(
      'SELECT built_at::text AS built FROM search_index_state WHERE layer_id = ?',
      [layerId],
    );
    expect(after.built, 'no rebuild of the layer: the edits updated their own entries').to.equal(state.built);
  });

  it('leaves the index as it was when an edit fails', async () => {
    const got = await fetch(`${server().url}/collections/${layerId}/items/${2}`);
    const etag = got.headers.get('etag')!;
    const bad = await send(
      'PATCH',
      `/collections/${layerId}/items/2`,
      editor.token,
      { properties: { name: `Tên mới ${word}` }, geometry: point(200, 95) },
      { 'If-Match': etag },
    );
    expect(bad.status).to.equal(400);
    expect(await search(`ten moi ${word}`)).to.deep.equal([]);
    expect((await search(`dinh bang ${word}`)).map((r) => r.id)).to.deep.equal([2]);
  });
});
