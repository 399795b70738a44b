/**
 * Who may change a layer or a job: the owning token (by id, not by name) or an admin. Built-in layers are for admins,
 * `access` changes are admin-only and audited, admins hand layers over; internal table names cannot collide.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { createToken } from '../../server/auth/tokens.ts';
import { cliActor } from '../../server/auth/audit.ts';
import { call, dropUploadedLayer, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { RunningServer } from '../../server/server.ts';
import type { JobReport } from '../../server/upload/jobs.ts';
import { up as migration008 } from '../../migrations/008_owner_token_ids_internal_names.ts';

const points = (n: number) =>
  JSON.stringify({
    type: 'FeatureCollection',
    features: Array.from({ length: n }, (_, i) => ({
      type: 'Feature',
      properties: { ten: `Điểm ${i}` },
      geometry: { type: 'Point', coordinates: [106.1 + i * 0.01, 21.2] },
    })),
  });

async function publish(
  server: RunningServer,
  token: string,
  id: string,
  n: number,
  fields: Record<string, string> = {},
): Promise<JobReport> {
  const res = await upload(server, token, { name: `${id}.geojson`, bytes: points(n) }, { id, ...fields });
  expect(res.status, await res.clone().text()).to.equal(202);
  const job = await waitForJob(server, token, ((await res.json()) as JobReport).id);
  expect(job.status, job.errors.join('; ')).to.equal('published');
  return job;
}

async function put(
  server: RunningServer,
  token: string,
  id: string,
  n: number,
  fields: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([points(n)]), `${id}.geojson`);
  return fetch(`${server.url}/admin/layers/${id}`, { method: 'PUT', body: form, headers: { Authorization: `Bearer ${token}` } });
}

const description = async (res: Response) => ((await res.json()) as { description: string }).description;

forEachBackend('ownership: layers and jobs belong to a token id', (server) => {
  const ids = ['owned_a', 'coll_x', 'coll_x__prev', 'stage_0a1b2c3d_0', 'mapped_owner'];
  let first: { id: string; token: string };
  let twin: { id: string; token: string };
  let admin: { id: string; token: string };
  // Names unique to this run: a persistent test database keeps the tokens of earlier runs.
  const run = Math.random().toString(36).slice(2, 8);
  const shared = `Trùng tên ${run}`;
  const adminName = `Quản trị ${run}`;
  before(async () => {
    for (const id of ids) await dropUploadedLayer(server(), id);
    first = await createToken(server().ctx.db, shared, 'editor', cliActor);
    twin = await createToken(server().ctx.db, shared, 'editor', cliActor);
    admin = await createToken(server().ctx.db, adminName, 'admin', cliActor);
  });

  it("gives a second token with the same name none of the first token's layers or jobs", async () => {
    const job = await publish(server(), first.token, 'owned_a', 2);
    expect(job.owner).to.equal(first.id);
    expect(server().ctx.catalog.find('owned_a')!.owner).to.equal(first.id);
    const listed = (await (await call(server(), twin.token, 'GET', '/admin/layers/owned_a')).json()) as {
      owner: string;
      ownerName: string;
      mayChange: boolean;
    };
    expect(listed).to.include({ owner: first.id, ownerName: shared, mayChange: false });

    for (const [method, path, body] of [
      ['PATCH', '/admin/layers/owned_a', { title: 'chiếm' }],
      ['DELETE', '/admin/layers/owned_a', undefined],
      ['POST', '/admin/layers/owned_a/rollback', undefined],
    ] as const) {
      const res = await call(server(), twin.token, method, path, body);
      expect(res.status, `${method} ${path}`).to.equal(403);
      const text = await description(res);
      expect(text)
        .to.match(/only the token that owns it or an admin/)
        .and.not.include(first.token);
    }
    const replaced = await put(server(), twin.token, 'owned_a', 5);
    expect(replaced.status).to.equal(403);
    expect(server().ctx.catalog.find('owned_a')!.dataVersion).to.equal(1);

    const waiting = (await (
      await upload(server(), first.token, { name: 'w.csv', bytes: 'ten,lon,lat\nA,106.2,21.28\n' }, { id: 'owned_wait' })
    ).json()) as JobReport;
    expect(waiting.status).to.equal('needs_confirmation');
    expect((await call(server(), twin.token, 'GET', `/admin/jobs/${waiting.id}`)).status).to.equal(404);
    expect((await call(server(), twin.token, 'POST', `/admin/jobs/${waiting.id}/confirm`, { srid: 4326 })).status).to.equal(403);
    expect((await call(server(), twin.token, 'POST', `/admin/jobs/${waiting.id}/cancel`)).status).to.equal(403);
    const twinJobs = (await (await call(server(), twin.token, 'GET', '/admin/jobs')).json()) as { jobs: JobReport[] };
    expect(twinJobs.jobs.map((j) => j.id))
      .to.not.include(waiting.id)
      .and.not.include(job.id);
    expect((await call(server(), first.token, 'POST', `/admin/jobs/${waiting.id}/cancel`)).status).to.equal(200);

    expect((await call(server(), first.token, 'PATCH', '/admin/layers/owned_a', { title: 'Của tôi' })).status).to.equal(200);
    expect((await call(server(), admin.token, 'PATCH', '/admin/layers/owned_a', { description: 'admin' })).status).to.equal(200);
  });

  it('leaves built-in layers to admins: an editor can neither edit, roll back, delete nor publish the restricted BTS layer', async () => {
    const editor = first.token;
    for (const [method, path, body] of [
      ['PATCH', '/admin/layers/bts_stations', { access: 'public' }],
      ['PATCH', '/admin/layers/roads', { title: 'Đường' }],
      ['DELETE', '/admin/layers/roads', undefined],
      ['POST', '/admin/layers/roads/rollback', undefined],
    ] as const) {
      const res = await call(server(), editor, method, path, body);
      expect(res.status, `${method} ${path}`).to.equal(403);
      expect(await description(res)).to.match(/built-in layer: only an admin may/);
    }
    expect(server().ctx.catalog.find('bts_stations')!.access).to.equal('restricted');
    expect((await fetch(`${server().url}/collections/bts_stations`)).status).to.equal(404);
    expect((await put(server(), editor, 'roads', 1)).status).to.equal(409);
  });

  it('lets only an admin change access, in either direction, and audits the old and new access', async () => {
    await dropUploadedLayer(server(), 'owned_a');
    await publish(server(), first.token, 'owned_a', 1, { access: 'restricted' });
    const patch = await call(server(), first.token, 'PATCH', '/admin/layers/owned_a', { access: 'public' });
    expect(patch.status).to.equal(403);
    expect(await description(patch)).to.match(/changing access from restricted to public needs an admin token/);
    expect((await put(server(), first.token, 'owned_a', 2, { access: 'public' })).status).to.equal(403);
    expect(
      (await call(server(), first.token, 'PATCH', '/admin/layers/owned_a', { access: 'restricted', title: 'Vẫn kín' })).status,
    ).to.equal(200);
    expect(server().ctx.catalog.find('owned_a')!.access).to.equal('restricted');

    expect((await call(server(), admin.token, 'PATCH', '/admin/layers/owned_a', { access: 'public' })).status).to.equal(200);
    expect(server().ctx.catalog.find('owned_a')!.access).to.equal('public');
    const audit = (await (await call(server(), admin.token, 'GET', '/admin/audit?layer=owned_a&limit=5')).json()) as {
      entries: Array<{ action: string; tokenId: string; details: Record<string, unknown> }>;
    };
    const change = audit.entries.find((e) => e.action === 'access_change')!;
    expect(change).to.deep.include({ tokenId: admin.id, details: { oldAccess: 'restricted', newAccess: 'public' } });
  });

  it('lets an admin hand a layer to another token, validated and audited; the new owner may change it, the old may not', async () => {
    expect((await call(server(), first.token, 'PATCH', '/admin/layers/owned_a', { owner: first.id })).status).to.equal(403);
    const unknown = await call(server(), admin.token, 'PATCH', '/admin/layers/owned_a', { owner: 'tok_doesnotexist' });
    expect(unknown.status).to.equal(400);
    expect(await description(unknown)).to.match(/^owner: no live token/);
    const handed = await call(server(), admin.token, 'PATCH', '/admin/layers/owned_a', { owner: twin.id });
    expect(handed.status, await handed.clone().text()).to.equal(200);
    expect(((await handed.json()) as { owner: string }).owner).to.equal(twin.id);
    expect((await call(server(), first.token, 'PATCH', '/admin/layers/owned_a', { title: 'cũ' })).status).to.equal(403);
    expect((await call(server(), twin.token, 'PATCH', '/admin/layers/owned_a', { title: 'mới' })).status).to.equal(200);
    const [row] = await server().ctx.db.rows<{ details: Record<string, unknown> }>(
      "SELECT details FROM audit_log WHERE layer_id = 'owned_a' AND action = 'owner_change' ORDER BY id DESC LIMIT 1",
    );
    expect(row.details).to.deep.equal({ oldOwner: first.id, newOwner: twin.id });
    expect((await call(server(), twin.token, 'DELETE', '/admin/layers/owned_a')).status).to.equal(204);
  });

  it('maps a name owner to the publishing token, and clears an ambiguous one (migration 008)', async () => {
    const job = await publish(server(), first.token, 'mapped_owner', 1);
    expect(job.owner).to.equal(first.id);
    const setOwner = (owner: string) =>
      server().ctx.db.rows("UPDATE layer_catalog SET owner = ? WHERE id = 'mapped_owner'", [owner]);
    const ownerNow = async () =>
      (await server().ctx.db.rows<{ owner: string | null }>("SELECT owner FROM layer_catalog WHERE id = 'mapped_owner'"))[0]
        .owner;
    await setOwner(shared); // the name two tokens share: the publish audit row says which one
    await migration008(server().ctx.db.knex);
    expect(await ownerNow()).to.equal(first.id);
    await setOwner(adminName); // not the publisher, but the only token of that name
    await migration008(server().ctx.db.knex);
    expect(await ownerNow()).to.equal(admin.id);
    await createToken(server().ctx.db, adminName, 'viewer', cliActor);
    await setOwner(adminName); // now ambiguous: left to admins
    await migration008(server().ctx.db.knex);
    expect(await ownerNow()).to.equal(null);
    await dropUploadedLayer(server(), 'mapped_owner');
  });

  it("keeps a layer named like another layer's previous version apart from it", async () => {
    await publish(server(), first.token, 'coll_x', 1);
    expect((await put(server(), first.token, 'coll_x', 2)).status).to.equal(202);
    await new Promise((r) => setTimeout(r, 50));
    const jobs = (await (await call(server(), first.token, 'GET', '/admin/jobs')).json()) as { jobs: JobReport[] };
    await waitForJob(server(), first.token, jobs.jobs.find((j) => j.layerId === 'coll_x')!.id);
    await publish(server(), first.token, 'coll_x__prev', 7);
    const rb = await call(server(), first.token, 'POST', '/admin/layers/coll_x/rollback');
    expect(rb.status, await rb.clone().text()).to.equal(200);
    const count = async (id: string) =>
      ((await (await fetch(`${server().url}/collections/${id}/items?limit=100`)).json()) as { features: unknown[] }).features
        .length;
    expect(await count('coll_x')).to.equal(1);
    expect(await count('coll_x__prev')).to.equal(7);
  });

  it('does not drop a layer whose id starts with stage_ as an orphan staging table', async () => {
    await publish(server(), first.token, 'stage_0a1b2c3d_0', 3);
    await server().app.services.uploads.cleanOrphans();
    const res = await fetch(`${server().url}/collections/stage_0a1b2c3d_0/items`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { features: unknown[] }).features).to.have.length(3);
  });
});
