/**
 * Builds the viewer (TypeScript, Leaflet, its CSS and images) into memory with esbuild, so `npm start` and the
 * tests need no separate build step. Every asset comes from npm packages: the page loads nothing from outside.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import { build } from 'esbuild';

/** One file of the built viewer, as served. */
export interface ViewerAsset {
  contentType: string;
  body: Buffer;
}

/** The built viewer: file name (relative to /viewer/) -> asset. */
export type ViewerBundle = Map<string, ViewerAsset>;

const viewerDir = import.meta.dirname;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function contentTypeOf(file: string): string {
  return contentTypes[path.extname(file)] ?? 'application/octet-stream';
}

/**
 * Bundles `viewer/src/main.ts` and the upload page `viewer/src/upload/main.ts` with their CSS (minified, with source
 * maps) plus `index.html` and `upload.html`. Takes about a second.
 */
export async function buildViewer(): Promise<ViewerBundle> {
  const outdir = path.join(viewerDir, 'dist');
  const result = await build({
    absWorkingDir: viewerDir,
    entryPoints: {
      viewer: path.join(viewerDir, 'src', 'main.ts'),
      upload: path.join(viewerDir, 'src', 'upload', 'main.ts'),
      data: path.join(viewerDir, 'src', 'data', 'main.ts'),
    },
    bundle: true,
    write: false,
    outdir,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: 'linked',
    // Leaflet's CSS refers to its images by relative URL; ship them as files next to the bundle.
    loader: { '.png': 'file', '.svg': 'file' },
    assetNames: 'assets/[name]-[hash]',
    legalComments: 'linked',
    logLevel: 'silent',
  });
  const bundle: ViewerBundle = new Map();
  for (const file of result.outputFiles) {
    const name = path.relative(outdir, file.path).split(path.sep).join('/');
    bundle.set(name, { contentType: contentTypeOf(name), body: Buffer.from(file.contents) });
  }
  for (const page of ['index.html', 'upload.html', 'data.html']) {
    bundle.set(page, { contentType: contentTypeOf(page), body: await fs.readFile(path.join(viewerDir, page)) });
  }
  return bundle;
}
