/**
 * Receiving a multipart upload: the file part streams to disk (never whole into memory) under the job's directory,
 * the other parts are collected as text fields. Past the size limit the body is drained and 413 is answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { UploadError } from './types.ts';

/** What arrived. */
export interface ReceivedUpload {
  fields: Record<string, string>;
  file: { path: string; fileName: string; bytes: number } | null;
}

/** 413 naming the limit. */
export function tooLarge(maxBytes: number): UploadError {
  return new UploadError(413, 'PayloadTooLarge', `the upload is larger than the limit of ${Math.round(maxBytes / 1048576)} MiB (UPLOAD_MAX_MB)`);
}

/** Streams the multipart body of `req` into `dir`; rejects with 413, 415 or 400. */
export function receiveUpload(req: IncomingMessage, dir: string, maxBytes: number): Promise<ReceivedUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(new UploadError(415, 'UnsupportedMediaType', 'send the upload as multipart/form-data with the file in a part named "file"'));
  }
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fileSize: maxBytes, files: 1, fields: 64, fieldSize: 1 << 20 } });
    } catch (err) {
      reject(new UploadError(400, 'InvalidUpload', `the multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let file: ReceivedUpload['file'] = null;
    let failure: UploadError | null = null;
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
      const target = path.join(dir, `upload${path.extname(fileName).toLowerCase().replace(/[^.\w]/g, '')}`);
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
      failure ??= new UploadError(400, 'InvalidUpload', `the multipart body is damaged: ${err.message}`);
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
