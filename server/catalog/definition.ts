/**
 * The schema of a layer definition: `layers/*.json` for built-in layers, the catalog row for uploads.
 * Validated with zod; a bad file stops the start with a message naming the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkCategories, datasetMetadataSchema, loadOpenDataCategories } from './metadata.ts';
import {
  columnTypes,
  geometryTypes,
  layerGroups,
  type Label,
  type LayerColumn,
  type LayerStyle,
  type StyleCategory,
} from '../wire/layer.ts';

// The vocabularies and the column and style shapes are the public API's (server/wire/layer.ts); the schemas below
// are annotated with those types, so the compiler checks that what validates is what the API describes.
export { columnTypes, type ColumnType, type LayerColumn, type LayerStyle } from '../wire/layer.ts';

/** A layer id: lower-case, safe in URLs and comma lists (tiles/{a,b}). */
export const layerIdPattern = /^[a-z][a-z0-9_]{0,62}$/;

const label: z.ZodType<Label> = z.object({ en: z.string().min(1), vi: z.string().min(1) }).strict();

const column: z.ZodType<LayerColumn> = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'column names are lower-case SQL identifiers'),
    type: z.enum(columnTypes),
    label,
    description: z.string().optional(),
  })
  .strict();

const category: z.ZodType<StyleCategory> = z
  .object({ value: z.union([z.string(), z.number()]), color: z.string().regex(/^#[0-9a-fA-F]{6}$/), label })
  .strict();

/** How the viewer draws the layer: one colour, or a colour per value of a property. */
const style: z.ZodType<LayerStyle> = z
  .object({
    type: z.enum(['single', 'categorical']),
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/)
      .optional(),
    fillOpacity: z.number().min(0).max(1).optional(),
    weight: z.number().min(0).max(20).optional(),
    radius: z.number().min(0).max(50).optional(),
    property: z.string().optional(),
    categories: z.array(category).optional(),
    labelProperty: z.string().optional(),
  })
  .strict()
  .refine((s) => s.type === 'single' || (s.property && s.categories?.length), {
    message: 'a categorical style needs "property" and "categories"',
  });

/** Zoom-dependent tile content. Units: metres on the ground, pixels at 256 px tiles. */
const tileOptions = z
  .object({
    /**
     * Simplification tolerance in tile pixels (of a 4096 extent) at every zoom below maxzoom; under 1, nothing is
     * simplified beyond the snapping of every vertex to that grid (server/tiles/sql.ts `simplifies`).
     */
    simplifyPx: z.number().min(0).max(64).optional(),
    /** Drop polygons smaller than this many square tile pixels (of a 256 px tile). */
    minAreaPx: z.number().min(0).max(10_000).optional(),
    /** Points are thinned into clusters (with a `count` property) below this zoom. */
    clusterBelowZoom: z.number().int().min(0).max(24).optional(),
    /** Cache-Control for this layer's tiles (overrides TILE_CACHE_CONTROL). */
    cacheControl: z.string().optional(),
  })
  .strict();

/**
 * Which columns hold a feature's validity (dates, both inclusive; null = open). A layer that declares it answers
 * `datetime` with the features valid then, and today's by default (server/features/validity.ts).
 */
const temporal = z
  .object({
    start: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
    end: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
  })
  .strict();

/** One layer definition as written in `layers/*.json`. */
export const layerDefinitionSchema = z
  .object({
    id: z.string().regex(layerIdPattern, 'lower-case letters, digits and _; starts with a letter'),
    title: z.string().min(1),
    title_vi: z.string().min(1),
    description: z.string().default(''),
    keywords: z.array(z.string()).default([]),
    group: z.enum(layerGroups),
    table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
    geometryType: z.enum(geometryTypes),
    columns: z.array(column).min(0),
    minzoom: z.number().int().min(0).max(24).default(0),
    maxzoom: z.number().int().min(0).max(24).default(22),
    style: style,
    tileOptions: tileOptions.default({}),
    attribution: z.string().default(''),
    licence: z.string().default(''),
    access: z.enum(['public', 'restricted']).default('public'),
    sortOrder: z.number().int().default(100),
    temporal: temporal.optional(),
    /** The open-data metadata record (server/catalog/metadata.ts). */
    metadata: datasetMetadataSchema.optional(),
  })
  .strict()
  .refine((d) => d.minzoom <= d.maxzoom, { message: 'minzoom must not exceed maxzoom', path: ['minzoom'] })
  .refine(
    (d) =>
      !d.temporal || [d.temporal.start, d.temporal.end].every((n) => d.columns.some((c) => c.name === n && c.type === 'date')),
    {
      message: 'temporal.start and temporal.end must name columns of type date',
      path: ['temporal'],
    },
  );

/** A layer definition as written in `layers/*.json`: the file keeps `title_vi`, the name the API publishes. */
type LayerDefinitionFile = z.infer<typeof layerDefinitionSchema>;

/** A layer definition in the code's one naming style (camelCase): `titleVi` for the file's `title_vi`. */
export type LayerDefinition = Omit<LayerDefinitionFile, 'title_vi'> & { titleVi: string };
export type TileOptions = z.infer<typeof tileOptions>;
/** The validity columns of a layer (see `temporal` in the schema). */
export type LayerTemporal = z.infer<typeof temporal>;

/** A layer definition file that does not validate; the message names the file and the field. */
export class LayerDefinitionError extends Error {}

/** Validates one parsed definition; `source` names where it came from in messages. */
export function parseLayerDefinition(value: unknown, source: string): LayerDefinition {
  const result = layerDefinitionSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    throw new LayerDefinitionError(`${source}: field "${field}": ${issue.message}`);
  }
  const { title_vi: titleVi, ...rest } = result.data;
  return { ...rest, titleVi };
}

/** Reads and validates every `*.json` in `dir`; ids must be unique and match the file name. */
export function loadLayerDefinitions(dir: string): LayerDefinition[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const seen = new Set<string>();
  const categories = loadOpenDataCategories(dir);
  return files.map((file) => {
    const source = path.join(path.basename(dir), file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new LayerDefinitionError(`${source}: not valid JSON: ${(err as Error).message}`);
    }
    const def = parseLayerDefinition(raw, source);
    if (def.id !== path.basename(file, '.json')) {
      throw new LayerDefinitionError(`${source}: field "id": "${def.id}" must match the file name`);
    }
    if (seen.has(def.id)) throw new LayerDefinitionError(`${source}: field "id": "${def.id}" is defined twice`);
    seen.add(def.id);
    if (def.metadata) {
      try {
        checkCategories(def.metadata, categories);
      } catch (err) {
        throw new LayerDefinitionError(`${source}: ${(err as Error).message}`);
      }
    }
    return def;
  });
}

/**
 * The maxzoom of uploaded and in-place layers, whose data has no declared detail zoom: at z18 a 4096-unit tile
 * resolves about 0.15 m, finer than the province's surveys; clients overzoom beyond it (TileJSON says so).
 */
export const dataLayerMaxzoom = 18;
