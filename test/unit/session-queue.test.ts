/**
 * The scanner of PGlite's answers: passes every backend message on byte for byte, hands notifications over, and drops
 * the ReadyForQuery PGlite adds after an error inside an extended-protocol batch, however the answer is cut in chunks.
 */
import { expect } from 'chai';
import { BackendScanner } from '../../server/db/session-queue.ts';

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const error = message('E', Buffer.from('SERROR\0Mdivision by zero\0\0'));
const ready = message('Z', Buffer.from('I'));
const notify = message('A', Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('kênh\0tải "1"\0')]));
const row = message('D', Buffer.from([0, 1, 0, 0, 0, 1, 0x31]));

/** Feeds `answer` cut at the given offsets; returns what was passed on and the notifications. */
function scan(answer: Buffer, cuts: number[], dropReady: boolean): { out: Buffer; notes: string[] } {
  const notes: string[] = [];
  const parts: Buffer[] = [];
  const scanner = new BackendScanner((c, p) => notes.push(`${c}=${p}`), dropReady);
  const edges = [0, ...cuts, answer.length];
  for (let i = 0; i + 1 < edges.length; i++) {
    // A fresh copy per chunk, overwritten after the call: what is passed on must be used during the callback only.
    const chunk = Buffer.from(answer.subarray(edges[i], edges[i + 1]));
    scanner.feed(chunk, (part) => parts.push(Buffer.from(part)));
    chunk.fill(0);
  }
  return { out: Buffer.concat(parts), notes };
}

describe('BackendScanner (PGlite answers on the wire)', () => {
  const answer = Buffer.concat([notify, row, error, ready, notify]);
  const withoutReady = Buffer.concat([notify, row, error, notify]);

  it('drops ReadyForQuery inside a batch and keeps everything else, for every cut of the answer in two', () => {
    for (let cut = 0; cut <= answer.length; cut++) {
      const { out, notes } = scan(answer, [cut], true);
      expect(out.equals(withoutReady), `cut at ${cut}`).to.equal(true);
      expect(notes).to.deep.equal(['kênh=tải "1"', 'kênh=tải "1"']);
    }
  });

  it('passes the answer unchanged after Sync or Query, for every cut in three', () => {
    for (let a = 0; a <= answer.length; a += 3)
      for (let b = a; b <= answer.length; b += 5) {
        const { out, notes } = scan(answer, [a, b], false);
        expect(out.equals(answer), `cuts at ${a}, ${b}`).to.equal(true);
        expect(notes).to.have.length(2);
      }
  });

  it('passes byte by byte what it keeps', () => {
    const cuts = Array.from({ length: answer.length - 1 }, (_, i) => i + 1);
    expect(scan(answer, cuts, true).out.equals(withoutReady)).to.equal(true);
  });
});
