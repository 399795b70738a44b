/**
 * Requests Node's HTTP parser refuses before the app sees them get the same `{code, description}` as any other
 * bad input, and the server keeps serving: a Vietnamese name typed raw into a URL, oversized headers, garbage.
 */
import net from 'node:net';
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';

/** Sends raw bytes to the server and returns everything it answers before closing. */
function rawExchange(url: string, bytes: Buffer | string): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

forEachBackend('malformed HTTP requests', (server) => {
  it('answers a raw Vietnamese name in the URL with 400 and how to encode it', async () => {
    const res = await rawExchange(server().url, Buffer.from('GET /search?q=Bắc Giang HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'));
    expect(res.status).to.equal(400);
    expect(res.headers).to.match(/Content-Type: application\/json/i);
    const body = JSON.parse(res.body) as { code: string; description: string };
    expect(body.code).to.equal('InvalidRequest');
    expect(body.description)
      .to.match(/percent-encoded/)
      .and.match(/B%E1%BA%AFc/);
  });

  it('answers oversized headers with 431 and a JSON exception', async () => {
    const res = await rawExchange(server().url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).to.equal(431);
    expect((JSON.parse(res.body) as { code: string }).code).to.equal('HeadersTooLarge');
  });

  it('answers a request line that is not HTTP with 400 naming the problem', async () => {
    const res = await rawExchange(server().url, 'HELLO THERE\r\n\r\n');
    expect(res.status).to.equal(400);
    expect((JSON.parse(res.body) as { description: string }).description).to.match(/malformed/);
  });

  it('keeps serving afterwards, and finds the percent-encoded name', async () => {
    const res = await fetch(`${server().url}/search?q=${encodeURIComponent('Bắc Giang')}`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { numberReturned: number }).numberReturned).to.be.greaterThan(0);
  });
});
