/**
 * Requests Node's HTTP parser refuses before any handler sees them (a URL with raw non-ASCII bytes, a malformed
 * header, headers too large). Node's own answer is a bare "400 Bad Request" with no body; ours is the same OGC
 * exception `{code, description}` as every other error, saying what was wrong. The most common case here is a
 * Vietnamese name typed into a URL by hand (`curl '.../search?q=Bắc Giang'`): browsers percent-encode it, curl
 * and many scripts do not.
 */
import type { Duplex } from 'node:stream';
import { allowedOrigin } from './cors.ts';

interface ParserError extends Error {
  code?: string;
  reason?: string;
}

/** Status, reason phrase, OGC code and description for a parser error. */
export function describeClientError(err: ParserError): { status: number; reason: string; code: string; description: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'HeadersTooLarge',
        description: 'the request headers are too large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'RequestTimeout',
        description: 'the request headers did not arrive in time',
      };
    case 'HPE_INVALID_URL':
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'InvalidRequest',
        description:
          `the URL holds characters that must be percent-encoded (${err.reason ?? 'invalid character'}): encode ` +
          'non-ASCII letters as UTF-8, e.g. q=B%E1%BA%AFc%20Giang for "Bắc Giang" (curl --get --data-urlencode "q=Bắc Giang")',
      };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'InvalidRequest',
        description: `the HTTP request is malformed (${err.reason ?? err.message})`,
      };
  }
}

/** The server's 'clientError' handler: answers with a JSON exception where the socket can still take one. */
export function answerClientError(err: ParserError, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, reason, code, description } = describeClientError(err);
  const body = JSON.stringify({ code, description });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Access-Control-Allow-Origin: ${allowedOrigin}\r\nConnection: close\r\n\r\n${body}`,
  );
}
