/**
 * Trust at the edge: links come from PUBLIC_URL or a validated Host, forwarded headers count only from TRUST_PROXY
 * peers (for links and for the authentication throttle), and /metrics can be protected by a token or moved to its
 * own listener. Each variant runs as a second app over the shared server's context, as createApp is meant to be used.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forEachBackend } from '../support/servers.ts';
import { createApp } from '../../server/app.ts';
import { listenMetrics } from '../../server/http/health.ts';
import type { Config } from '../../server/config.ts';
import type { RunningServer } from '../../server/server.ts';
import { tokenFor } from '../fixtures/upload/http.ts';

interface Variant {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A second app over the running server's database and catalog, with some settings changed. */
async function appWith(server: RunningServer, overrides: Partial<Config>): Promise<Variant> {
  const ctx = { ...server.ctx, config: { ...server.ctx.config, ...overrides }, onClose: [] };
  const app = createApp(ctx);
  const listener = http.createServer(app.express);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise((resolve) => listener.close(resolve));
      listener.closeAllConnections();
      await app.close();
    },
  };
}

/** A raw GET with headers fetch would not send as given (Host). */
function get(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const port = (server: RunningServer) => Number(new URL(server.url).port);

forEachBackend('trust: links, forwarded headers and /metrics', (server) => {
  it('refuses a hostile Host with 400 naming the header, so no page or document links to javascript:', async () => {
    for (const host of ['javascript:alert(1)//', 'a" onmouseover="alert(1)', 'evil.example/<script>', 'x y']) {
      for (const path of ['/?f=html', '/collections?f=json', '/tiles/roads.json', '/collections/roads/items?f=html&limit=1']) {
        const res = await get(port(server()), path, { Host: host, Accept: 'text/html' });
        expect(res.status, `${host} ${path}`).to.equal(400);
        expect(res.headers['content-type'], 'an error document, never a page').to.match(/^application\/json/);
        expect(res.body).to.not.include('href');
        expect(JSON.parse(res.body)).to.deep.include({ code: 'InvalidParameterValue' });
        expect(JSON.parse(res.body).description).to.match(/^the Host header .* is not a host name/);
      }
    }
  });

  it('builds links from a valid Host and ignores X-Forwarded-Host/-Proto without TRUST_PROXY', async () => {
    const res = await get(port(server()), '/tiles/roads.json', {
      Host: 'gis.example.vn:8443',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'https',
    });
    expect(res.status).to.equal(200);
    const tiles = (JSON.parse(res.body) as { tiles: string[] }).tiles;
    expect(tiles[0]).to.match(/^http:\/\/gis\.example\.vn:8443\/tiles\//);
  });

  it('uses PUBLIC_URL for links whatever the Host says', async () => {
    const v = await appWith(server(), { publicUrl: 'https://maps.bacninh.example/sdi' });
    try {
      const res = await get(v.port, '/collections?f=json', { Host: 'javascript:alert(1)//' });
      expect(res.status).to.equal(200);
      const links = (JSON.parse(res.body) as { links: Array<{ href: string }> }).links;
      expect(links.every((l) => l.href.startsWith('https://maps.bacninh.example/sdi/'))).to.equal(true);
    } finally {
      await v.close();
    }
  });

  it('honours X-Forwarded-* from a TRUST_PROXY peer: links, and a throttle per forwarded client that never refuses a valid token', async () => {
    const v = await appWith(server(), { trustProxy: ['loopback'] });
    const admin = await tokenFor(server(), 'admin');
    try {
      const res = await get(v.port, '/tiles/roads.json', {
        Host: 'internal:3000',
        'X-Forwarded-Host': 'gis.example.vn',
        'X-Forwarded-Proto': 'https',
      });
      expect((JSON.parse(res.body) as { tiles: string[] }).tiles[0]).to.match(/^https:\/\/gis\.example\.vn\/tiles\//);
      const hostile = await get(v.port, '/tiles/roads.json', { Host: 'internal', 'X-Forwarded-Host': 'javascript:alert(1)//' });
      expect(hostile.status).to.equal(400);

      const attempt = (client: string, token: string) =>
        fetch(`${v.url}/admin/whoami`, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': client } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await attempt('203.0.113.5', `sdi_wrong${i}xxxxxxxxxxxxxxxx`)).status);
      expect(statuses.slice(10)).to.deep.equal([429, 429]);
      expect((await attempt('203.0.113.6', 'sdi_wrongotherxxxxxxxxxxxxxx')).status).to.equal(401);
      expect((await attempt('203.0.113.5', admin)).status).to.equal(200);
      // A client cannot pin its failures on another address by writing it first: the proxy's own entry counts.
      for (let i = 0; i < 12; i++) await attempt('198.51.100.7, 203.0.113.9', `sdi_wrong${i}xxxxxxxxxxxxxxxx`);
      expect((await attempt('198.51.100.7', 'sdi_wrongvictimxxxxxxxxxxxxx')).status).to.equal(401);
    } finally {
      await v.close();
    }
  });

  it('lets a valid token through a proxy whose shared budget other clients used up', async () => {
    const v = await appWith(server(), { trustProxy: ['loopback'] });
    const viewer = await tokenFor(server(), 'viewer');
    try {
      const attempt = (client: string, token: string) =>
        fetch(`${v.url}/admin/whoami`, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': client } });
      for (let i = 0; i < 100; i++) await attempt(`192.0.2.${i}`, `sdi_wrong${i}xxxxxxxxxxxxxxxx`);
      expect((await attempt('192.0.2.200', 'sdi_wrongfreshxxxxxxxxxxxxxx')).status, 'the peer budget is spent').to.equal(429);
      expect((await attempt('192.0.2.201', viewer)).status).to.equal(200);
      expect((await attempt('192.0.2.7', viewer)).status).to.equal(200);
    } finally {
      await v.close();
    }
  });

  it('serves /metrics only with METRICS_TOKEN when one is set', async () => {
    const v = await appWith(server(), { metricsToken: 'a-long-metrics-secret' });
    try {
      const none = await fetch(`${v.url}/metrics`);
      expect(none.status).to.equal(401);
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
      expect((await fetch(`${v.url}/metrics`, { headers: { Authorization: 'Bearer a-long-metrics-secreT' } })).status).to.equal(
        401,
      );
      const ok = await fetch(`${v.url}/metrics`, { headers: { Authorization: 'Bearer a-long-metrics-secret' } });
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.match(/http_requests_total/);
    } finally {
      await v.close();
    }
  });

  it('moves /metrics to METRICS_LISTEN: the public port answers 404, the separate listener answers', async () => {
    const overrides = { metricsListen: '127.0.0.1:0' };
    const v = await appWith(server(), overrides);
    const metrics = await listenMetrics({ ...server().ctx, config: { ...server().ctx.config, ...overrides } });
    try {
      expect((await fetch(`${v.url}/metrics`)).status).to.equal(404);
      const res = await fetch(metrics!.url);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.match(/db_pool_max/);
      expect((await fetch(metrics!.url.replace('/metrics', '/health'))).status).to.equal(404);
    } finally {
      await new Promise((resolve) => metrics!.server.close(resolve));
      await v.close();
    }
  });
});
