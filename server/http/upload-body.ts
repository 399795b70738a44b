/**
 * The HTTP edge of an upload: the multipart body (busboy) is read here, the file part streamed to disk (never
 * whole into memory) inside a workspace of the upload service, the other parts collected as text fields. Past the
 * size limit the body is drained and PayloadTooLargeError raised; the service then gets a saved file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { InvalidParameterError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';

/** What arrived: text fields and the saved file part (null when the body had none). */
export interface MultipartUpload {
  fields: Record<string, string>;
  file: { path: string; fileName: string; bytes: number } | null;
}

/** PayloadTooLargeError naming the limit and its setting. */
export function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the upload is larger than the limit of ${Math.round(maxBytes / 1048576)} MiB (UPLOAD_MAX_MB)`);
}

/** Refuses at once a body whose declared length is past the limit (with 1 MiB for the form fields). */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes + (1 << 20)) throw tooLarge(maxBytes);
}

/** Streams the multipart body of `req` into `dir`; rejects with PayloadTooLarge, UnsupportedMediaType or InvalidParameter. */
export function receiveMultipart(req: IncomingMessage, dir: string, maxBytes: number): Promise<MultipartUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(
      new UnsupportedMediaTypeError('send the upload as multipart/form-data with the file in a part named "file"'),
    );
  }
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: 1, fields: 64, fieldSize: 1 << 20 },
      });
    } catch (err) {
      reject(new InvalidParameterError(`the multipart body cannot be read: ${(err as Error).message}`, 'Content-Type'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: MultipartUpload['file'] = null;
    let failure: Error | null = null;
    let writing: Promise<void> = Promise.resolve();
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || file) {
        stream.resume();
        return;
      }
      const fileName = path.basename((info.filename || 'upload').replace(/\\/g, '/'));
      const target = path.join(
        dir,
        `upload${path
          .extname(fileName)
          .toLowerCase()
          .replace(/[^.\w]/g, '')}`,
      );
      const out = fs.createWriteStream(target);
      const entry = { path: target, fileName, bytes: 0 };
      file = entry;
      stream.on('data', (chunk: Buffer) => {
        entry.bytes += chunk.length;
      });
      stream.on('limit', () => {
        failure = tooLarge(maxBytes);
        stream.unpipe(out);
        out.destroy();
        stream.resume();
      });
      writing = new Promise((res, rej) => {
        out.on('close', res);
        out.on('error', rej);
      });
      stream.pipe(out);
    });
    bb.on('error', (err: Error) => {
      failure ??= new InvalidParameterError(`the multipart body is damaged: ${err.message}`, 'file');
      req.unpipe(bb);
      req.resume();
      writing.finally(() => reject(failure));
    });
    bb.on('close', () => {
      writing.then(
        () => (failure ? reject(failure) : resolve({ fields, file })),
        (err: Error) => reject(failure ?? err),
      );
    });
    req.pipe(bb);
  });
}
