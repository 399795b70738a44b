/** The form fields of an upload, validated: layer id, replace, metadata, CRS and encoding answers, CSV columns. */
import { z } from 'zod';
import { layerDefinitionSchema, layerIdPattern } from '../catalog/definition.ts';
import { badInput } from './types.ts';
import type { LayerMetadata } from './publish.ts';
import type { CrsAnswer } from './crs-decision.ts';

/** Everything an upload request asked for besides the file. */
export interface UploadOptions {
  layerId: string;
  replace: boolean;
  metadata: LayerMetadata;
  crs: CrsAnswer;
  encoding?: string;
  xField?: string;
  yField?: string;
  tables: string[] | null;
}

/** Longest layer id of an upload: `upl_<id>__prev` must fit PostgreSQL's 63-byte names. */
export const maxUploadLayerId = 50;

const styleSchema = layerDefinitionSchema.shape.style;

/** A layer id from a file name: 'Ranh giới xã (2024).zip' -> 'ranh_gioi_xa_2024'. */
export function layerIdFromName(name: string): string {
  const s = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\.[a-z0-9]+$/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const id = /^[a-z]/.test(s) ? s : `layer_${s}`;
  return id.slice(0, maxUploadLayerId).replace(/_+$/, '');
}

/** Checks a layer id given by a person; 400 naming it. */
export function checkLayerId(id: string): string {
  if (!layerIdPattern.test(id) || id.length > maxUploadLayerId) {
    throw badInput(
      `layer id "${id}" must be lower-case letters, digits and _, start with a letter, at most ${maxUploadLayerId} characters`,
      'id',
    );
  }
  return id;
}

const bool = (v: string | undefined, name: string): boolean | undefined => {
  if (v === undefined || v === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw badInput(`${name} must be true or false, got ${JSON.stringify(v)}`, name);
};

/** Parses the metadata fields shared by the upload form and PATCH (PATCH sends JSON values, the form strings). */
export function parseMetadata(input: Record<string, unknown>): LayerMetadata {
  const m: LayerMetadata = {};
  const text = (key: string, max = 10_000): string | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > max) throw badInput(`${key} must be a string of at most ${max} characters`, key);
    return v;
  };
  m.title = text('title', 200);
  m.titleVi = text('title_vi', 200);
  m.description = text('description');
  m.licence = text('licence', 500);
  m.attribution = text('attribution', 500);
  const kw = input.keywords;
  if (kw !== undefined) {
    if (typeof kw === 'string')
      m.keywords = kw
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
    else if (Array.isArray(kw) && kw.every((k) => typeof k === 'string')) m.keywords = kw as string[];
    else throw badInput('keywords must be a list of strings or a comma-separated string', 'keywords');
  }
  const group = input.group;
  if (group !== undefined) {
    const groups = ['basemap', 'landuse', 'industry', 'telecom', 'other'] as const;
    if (!groups.includes(group as (typeof groups)[number]))
      throw badInput(`group must be one of ${groups.join(', ')}, got ${JSON.stringify(group)}`, 'group');
    m.group = group as LayerMetadata['group'];
  }
  const access = input.access;
  if (access !== undefined) {
    if (access !== 'public' && access !== 'restricted')
      throw badInput(`access must be public or restricted, got ${JSON.stringify(access)}`, 'access');
    m.access = access;
  }
  let style = input.style;
  if (style !== undefined) {
    if (typeof style === 'string') {
      try {
        style = JSON.parse(style);
      } catch {
        throw badInput('style must be a JSON object, e.g. {"type":"single","color":"#ff0000"}', 'style');
      }
    }
    const parsed = (styleSchema as z.ZodType).safeParse(style);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badInput(`style: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'style');
    }
    m.style = parsed.data as LayerMetadata['style'];
  }
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as LayerMetadata;
}

/** Parses a CRS answer: `srid` (number or 'EPSG:9214'), or `proj4`, and `swapAxes`. */
export function parseCrsAnswer(input: Record<string, unknown>): CrsAnswer {
  const out: CrsAnswer = {};
  const srid = input.srid ?? input.crs;
  if (srid !== undefined && srid !== '') {
    const m = /^(?:EPSG:)?(\d{4,6})$/i.exec(String(srid).trim());
    if (!m) throw badInput(`srid must be an EPSG code such as 9214, got ${JSON.stringify(srid)}`, 'srid');
    out.srid = Number(m[1]);
  }
  if (typeof input.proj4 === 'string' && input.proj4.trim() !== '') {
    if (out.srid !== undefined) throw badInput('give either srid or proj4, not both', 'proj4');
    out.proj4 = input.proj4;
  }
  const swap = input.swapAxes;
  if (swap !== undefined) out.swapAxes = typeof swap === 'boolean' ? swap : bool(String(swap), 'swapAxes');
  return out;
}

/** Validates the form fields of POST /admin/layers; `fileName` gives the default layer id. */
export function parseUploadOptions(fields: Record<string, string>, fileName: string): UploadOptions {
  const layerId = checkLayerId(fields.id?.trim() || layerIdFromName(fileName));
  return {
    layerId,
    replace: bool(fields.replace, 'replace') ?? false,
    metadata: parseMetadata(fields),
    crs: parseCrsAnswer(fields),
    encoding: fields.encoding?.trim() || undefined,
    xField: fields.xField?.trim() || undefined,
    yField: fields.yField?.trim() || undefined,
    tables: fields.tables
      ? fields.tables
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : null,
  };
}
