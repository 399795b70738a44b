/**
 * The open-data metadata record of a layer (issue 15): abstract in Vietnamese and English, themes, publisher,
 * contact point, licence, access rights, update frequency, lineage, temporal extent, resolution, dates, version.
 * Validated with zod where it is written: `layers/*.json` at start and PATCH /admin/layers/{id}. The spatial extent is
 * not stored: it comes from the layer's bounds, so it can never disagree with the data. Lives beside the layer
 * definition (the shared floor) because the definition schema embeds it; server/opendata/ builds records from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** ISO 19115 MD_TopicCategoryCode: the themes every national and INSPIRE-style catalog understands. */
export const isoTopicCategories = [
  'farming',
  'biota',
  'boundaries',
  'climatologyMeteorologyAtmosphere',
  'economy',
  'elevation',
  'environment',
  'geoscientificInformation',
  'health',
  'imageryBaseMapsEarthCover',
  'intelligenceMilitary',
  'inlandWaters',
  'location',
  'oceans',
  'planningCadastre',
  'society',
  'structure',
  'transportation',
  'utilitiesCommunication',
] as const;

/** Update frequencies, each mapped to the EU frequency vocabulary that DCAT-AP uses (server/opendata/dcat.ts). */
export const updateFrequencies = [
  'continual',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'annual',
  'irregular',
  'never',
  'unknown',
] as const;

const bilingual = z.object({ vi: z.string().min(1).max(4000), en: z.string().min(1).max(4000) }).strict();
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a calendar date');

/** One metadata record as stored (jsonb `layer_catalog.metadata`) and as written in `layers/*.json` under `metadata`. */
export const datasetMetadataSchema = z
  .object({
    abstract: bilingual,
    keywords: z.array(z.string().min(1).max(100)).max(50).default([]),
    topicCategories: z.array(z.enum(isoTopicCategories)).min(1).max(10),
    /** Ids of the province's open-data categories (layers/opendata/categories.json). */
    categories: z
      .array(z.string().regex(/^[a-z0-9-]{1,64}$/, 'a category id (lower-case letters, digits, -)'))
      .max(10)
      .default([]),
    publisher: z.object({ name: z.string().min(1).max(300), url: z.url().optional() }).strict(),
    contactPoint: z.object({ organisation: z.string().min(1).max(300), email: z.email() }).strict(),
    licence: z.object({ id: z.string().min(1).max(100), url: z.url(), title: z.string().max(300).optional() }).strict(),
    /** Who may use the data, in words (the public/restricted switch itself is the layer's `access`). */
    accessRights: z.string().min(1).max(1000),
    updateFrequency: z.enum(updateFrequencies),
    lineage: z.string().min(1).max(4000),
    temporalExtent: z.object({ start: isoDate.nullable(), end: isoDate.nullable() }).strict().optional(),
    /** Scale of the source (1:N) or ground resolution in metres; at least one. */
    resolution: z
      .object({ scaleDenominator: z.number().int().positive().optional(), metres: z.number().positive().optional() })
      .strict()
      .refine((r) => r.scaleDenominator !== undefined || r.metres !== undefined, 'give scaleDenominator or metres'),
    created: isoDate,
    /** Left out: the layer's last change (updated_at) is used. */
    modified: isoDate.optional(),
    version: z.string().min(1).max(50),
  })
  .strict();

/** A validated metadata record. */
export type DatasetMetadata = z.infer<typeof datasetMetadataSchema>;

/** A metadata record that does not validate; the message names the field. */
export class MetadataValidationError extends Error {
  constructor(
    message: string,
    /** The dotted path of the first bad field (`metadata.contactPoint.email`). */
    readonly field: string,
  ) {
    super(message);
  }
}

/** Validates a record; throws MetadataValidationError naming the first bad field under `prefix`. */
export function parseDatasetMetadata(value: unknown, prefix = 'metadata'): DatasetMetadata {
  const result = datasetMetadataSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [prefix, ...issue.path.map(String)].join('.');
  throw new MetadataValidationError(`field "${field}": ${issue.message}`, field);
}

/** One of the province's open-data categories. */
export interface OpenDataCategory {
  id: string;
  label: { vi: string; en: string };
}

const categoriesSchema = z.array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,64}$/), label: bilingual }).strict()).min(1);

/** Where the category list lives: beside the layer definitions, in a folder, so the layer loader does not read it. */
export function categoriesFile(layersDir: string): string {
  return path.join(layersDir, 'opendata', 'categories.json');
}

/** Reads and validates the province's category list; an empty list when the file is absent (a custom LAYERS_DIR). */
export function loadOpenDataCategories(layersDir: string): OpenDataCategory[] {
  const file = categoriesFile(layersDir);
  if (!fs.existsSync(file)) return [];
  const result = categoriesSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!result.success) throw new MetadataValidationError(`${file}: ${result.error.issues[0].message}`, 'categories');
  const ids = new Set<string>();
  for (const c of result.data) {
    if (ids.has(c.id)) throw new MetadataValidationError(`${file}: category "${c.id}" is listed twice`, 'categories');
    ids.add(c.id);
  }
  return result.data;
}

/** Throws when the record names a category that is not in the list (only when a list is configured). */
export function checkCategories(m: DatasetMetadata, categories: readonly OpenDataCategory[], prefix = 'metadata'): void {
  if (!categories.length) return;
  const known = new Set(categories.map((c) => c.id));
  const unknown = m.categories.find((id) => !known.has(id));
  if (unknown !== undefined) {
    throw new MetadataValidationError(
      `field "${prefix}.categories": "${unknown}" is not a category of the portal`,
      `${prefix}.categories`,
    );
  }
}
