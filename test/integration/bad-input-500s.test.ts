/**
 * Inputs that were once answered 500 are client errors read at the HTTP edge: a 4xx with `{code, description}`
 * naming the parameter (or the path segment, or the header) at fault, on both backends.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';

interface Answer {
  status: number;
  body: { code: string; description: string };
}

/** Sends a request with the path exactly as given (fetch would normalise some escapes) and reads the JSON answer. */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

forEachBackend('bad input once answered 500', (server) => {
  const get = (path: string) => send(server().url, 'GET', path);

  const undecodable: Array<[string, string]> = [
    ['/collections/%C0%AF', '%C0%AF'],
    ['/collections/%C0%AF/items', '%C0%AF'],
    ['/tiles/%ED%A0%80/0/0/0.mvt', '%ED%A0%80'],
    ['/viewer/%c0%ae%c0%ae/x', '%c0%ae%c0%ae'],
  ];
  for (const [path, segment] of undecodable) {
    it(`answers 400 naming the path segment for a percent-escape that is not UTF-8: ${path}`, async () => {
      const res = await get(path);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.code).to.equal('InvalidParameterValue');
      expect(res.body.description).to.include(segment).and.include('UTF-8');
    });
  }

  const nul: Array<[string, string]> = [
    ['/collections/landuse_parcels/items?code=a%00b', 'code'],
    ['/search?q=a%00b', 'q'],
    ['/collections/landuse_parcels/items?filter=code%3D%27a%00b%27', 'filter'],
    ['/tiles/landuse_parcels/14/13019/7205.mvt?properties=code%00', 'properties'],
  ];
  for (const [path, parameter] of nul) {
    it(`answers 400 naming "${parameter}" for a NUL byte in its value`, async () => {
      const res = await get(path);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.description).to.include(`"${parameter}"`).and.include('NUL');
    });
  }

  for (const parameter of ['limit', 'offset']) {
    it(`answers 400 naming "${parameter}" when it is given with an empty value`, async () => {
      const res = await get(`/collections/landuse_parcels/items?${parameter}=`);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.description).to.include(`"${parameter}"`).and.include('empty');
    });
  }

  it('answers 415 naming the header for a POST body in an unsupported Content-Encoding', async () => {
    const body = zlib.gzipSync(JSON.stringify({ layer: 'landuse_parcels', geometry: { type: 'Point', coordinates: [106, 21] } }));
    const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'x-compress-9' };
    const res = await send(server().url, 'POST', '/query/intersects', headers, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(415);
    expect(res.body.code).to.equal('UnsupportedMediaType');
    expect(res.body.description).to.include('Content-Encoding').and.include('x-compress-9');
  });

  it('still reads a gzip-encoded POST body', async () => {
    const body = zlib.gzipSync(JSON.stringify({ layer: 'landuse_parcels', geometry: { type: 'Point', coordinates: [106, 21] } }));
    const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
    const res = await send(server().url, 'POST', '/query/intersects', headers, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  });

  it('names the "layers" parameter when /query/identify is asked for an unknown layer', async () => {
    const res = await get('/query/identify?lon=106&lat=21&layers=no_such_layer');
    expect(res.status, JSON.stringify(res.body)).to.equal(404);
    expect(res.body.description).to.include('"layers"').and.include('no_such_layer');
  });
});
