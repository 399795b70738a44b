/**
 * OGC API - Records Part 1: each readable layer is a record (a GeoJSON feature whose properties describe the dataset)
 * in one catalog collection. The catalog holds tens of layers, so records are built and filtered in memory from the
 * catalog the caller may read; nothing here touches the database. Pure.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { OpenDataCategory } from '../catalog/metadata.ts';
import { normalizeSearchText } from '../text/normalize.ts';
import { bboxPolygon } from '@turf/bbox-polygon';
import { downloadFormats, formatInfo } from './formats.ts';
import { catalogCollectionId, collectionPath, downloadUrl, recordUrl, url } from './links.ts';

/** Conformance classes of Records Part 1 that the catalog implements. */
export const recordsConformance = [
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core',
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection',
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-api',
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json',
] as const;

/** The scheme URI of the ISO 19115 topic categories in `themes`. */
export const isoTopicScheme = 'https://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_TopicCategoryCode';

/** The record type of every layer: a dataset (Records `type`, DCAT dcat:Dataset). */
export const recordType = 'dataset';

/** A validated records query; text is normalised (lower case, no diacritics) already. */
export interface RecordsQuery {
  /** `q`: every term must occur in the title, abstract, keywords or themes (vi or en). */
  terms: string[];
  /** `bbox` in CRS84: records whose spatial extent intersects it. */
  bbox: [number, number, number, number] | null;
  /** `datetime`: records whose temporal extent meets the instant or interval (null ends are open). */
  datetime: { start: string | null; end: string | null } | null;
  /** `type`: record types asked for (any). */
  types: string[] | null;
  /** `keywords`: any of these keywords (normalised, whole keyword). */
  keywords: string[] | null;
  /** `themes`: any of these concept ids (ISO topic category or province category). */
  themes: string[] | null;
  /** `ids`: these layer ids only. */
  ids: string[] | null;
  limit: number;
  offset: number;
}

function temporalOf(layer: Layer): { start: string | null; end: string | null } | null {
  return layer.metadata?.temporalExtent ?? null;
}

/** Every text a `q` term may match, normalised. */
function searchText(layer: Layer, categories: readonly OpenDataCategory[]): string {
  const m = layer.metadata;
  const cats = (m?.categories ?? []).map((id) => categories.find((c) => c.id === id)).filter((c) => c !== undefined);
  return normalizeSearchText(
    [
      layer.id,
      layer.title,
      layer.titleVi,
      layer.description,
      ...layer.keywords,
      m?.abstract.vi,
      m?.abstract.en,
      ...(m?.keywords ?? []),
      ...(m?.topicCategories ?? []),
      ...cats.flatMap((c) => [c.id, c.label.vi, c.label.en]),
    ].join(' \u0001 '),
  );
}

/** The keywords of a record: the layer's and the metadata's, without repeats. */
export function keywordsOf(layer: Layer): string[] {
  return [...new Set([...layer.keywords, ...(layer.metadata?.keywords ?? [])])];
}

function intersects(a: readonly number[], b: readonly number[]): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

function meetsTime(
  extent: { start: string | null; end: string | null } | null,
  q: { start: string | null; end: string | null },
): boolean {
  if (!extent) return false; // a record without a temporal extent says nothing about time: a datetime filter leaves it out
  const lo = (s: string | null) => (s === null ? -Infinity : Date.parse(s));
  const hi = (s: string | null) => (s === null ? Infinity : Date.parse(s) + (s.length === 10 ? 86_399_999 : 0));
  return lo(extent.start) <= hi(q.end) && lo(q.start) <= hi(extent.end);
}

/** True when the layer's record passes every filter of the query. */
export function matchesRecord(layer: Layer, q: RecordsQuery, categories: readonly OpenDataCategory[]): boolean {
  if (q.ids && !q.ids.includes(layer.id)) return false;
  if (q.types && !q.types.includes(recordType)) return false;
  if (q.bbox && !(layer.bounds && intersects(layer.bounds, q.bbox))) return false;
  if (q.datetime && !meetsTime(temporalOf(layer), q.datetime)) return false;
  if (q.keywords) {
    const own = new Set(keywordsOf(layer).map(normalizeSearchText));
    if (!q.keywords.some((k) => own.has(k))) return false;
  }
  if (q.themes) {
    const own = [...(layer.metadata?.topicCategories ?? []), ...(layer.metadata?.categories ?? [])].map((t) => t.toLowerCase());
    if (!q.themes.some((t) => own.includes(t))) return false;
  }
  if (q.terms.length) {
    const text = searchText(layer, categories);
    if (!q.terms.every((t) => text.includes(t))) return false;
  }
  return true;
}

/** The links of a record: itself, its catalog, the data (features, tiles, TileJSON), every download and the licence. */
function recordLinks(layer: Layer, base: string): Array<Record<string, unknown>> {
  const id = encodeURIComponent(layer.id);
  const m = layer.metadata;
  return [
    { href: recordUrl(base, layer), rel: 'self', type: 'application/geo+json', title: 'this record' },
    {
      href: url(base, `/collections/${catalogCollectionId}`),
      rel: 'collection',
      type: 'application/json',
      title: 'the open-data catalog',
    },
    {
      href: url(base, collectionPath(layer)),
      rel: 'describes',
      type: 'application/json',
      title: 'the collection (OGC API Features)',
    },
    {
      href: url(base, `${collectionPath(layer)}/items`),
      rel: 'items',
      type: 'application/geo+json',
      title: 'features (OGC API Features)',
    },
    {
      href: url(base, `${collectionPath(layer)}/tiles`),
      rel: 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector',
      type: 'application/json',
      title: 'vector tiles (OGC API Tiles)',
    },
    { href: url(base, `/tiles/${id}.json`), rel: 'tilejson', type: 'application/json', title: 'TileJSON 3.0.0' },
    ...downloadFormats.map((f) => ({
      href: downloadUrl(base, layer, f),
      rel: 'enclosure',
      type: formatInfo[f].mediaType,
      title: `download: ${formatInfo[f].title}`,
    })),
    ...(m ? [{ href: m.licence.url, rel: 'license', type: 'text/html', title: m.licence.title ?? m.licence.id }] : []),
  ];
}

/** One layer as an OGC API Records record (GeoJSON). `categories` gives the province categories their labels. */
export function recordOf(layer: Layer, base: string, categories: readonly OpenDataCategory[]): Record<string, unknown> {
  const m = layer.metadata;
  const t = temporalOf(layer);
  const themes = m
    ? [
        { concepts: m.topicCategories.map((id) => ({ id })), scheme: isoTopicScheme },
        ...(m.categories.length
          ? [
              {
                concepts: m.categories.map((id) => {
                  const c = categories.find((x) => x.id === id);
                  return c ? { id, title: c.label.vi, title_en: c.label.en } : { id };
                }),
                scheme: url(base, '/opendata/categories'),
              },
            ]
          : []),
      ]
    : [];
  return {
    id: layer.id,
    type: 'Feature',
    conformsTo: [recordsConformance[0]],
    time: t ? { interval: [t.start ?? '..', t.end ?? '..'] } : null,
    geometry: layer.bounds ? bboxPolygon(layer.bounds).geometry : null,
    properties: {
      type: recordType,
      title: layer.titleVi,
      title_en: layer.title,
      description: m?.abstract.vi ?? layer.description,
      description_en: m?.abstract.en ?? layer.description,
      language: { code: 'vi' },
      languages: [{ code: 'vi' }, { code: 'en' }],
      keywords: keywordsOf(layer),
      themes,
      formats: downloadFormats.map((f) => ({ name: formatInfo[f].title, mediaType: formatInfo[f].mediaType })),
      contacts: m
        ? [
            { organization: m.contactPoint.organisation, emails: [{ value: m.contactPoint.email }], roles: ['pointOfContact'] },
            {
              organization: m.publisher.name,
              roles: ['publisher'],
              ...(m.publisher.url ? { links: [{ href: m.publisher.url, rel: 'about' }] } : {}),
            },
          ]
        : [],
      license: m?.licence.id ?? (layer.licence || 'other'),
      rights: m?.accessRights ?? (layer.access === 'public' ? 'public' : 'restricted'),
      access: layer.access,
      created: m?.created ?? null,
      updated: m?.modified ?? layer.updatedAt.toISOString(),
      version: m?.version ?? null,
      updateFrequency: m?.updateFrequency ?? null,
      lineage: m?.lineage ?? null,
      resolution: m?.resolution ?? null,
      attribution: layer.attribution,
      geometryType: layer.geometryType,
    },
    links: recordLinks(layer, base),
  };
}

/** The catalog collection document (Records: a collection with itemType "record"). */
export function catalogCollection(base: string): Record<string, unknown> {
  const self = `/collections/${catalogCollectionId}`;
  return {
    id: catalogCollectionId,
    type: 'Catalog',
    itemType: 'record',
    title: 'Danh mục dữ liệu mở tỉnh Bắc Ninh',
    title_en: 'Bắc Ninh open-data catalog',
    description: 'Every published layer of the SDI as an open dataset: metadata, links to the OGC APIs and downloads.',
    conformsTo: [...recordsConformance],
    extent: { spatial: { bbox: [[-180, -90, 180, 90]], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' } },
    links: [
      { href: url(base, self), rel: 'self', type: 'application/json', title: 'this catalog' },
      { href: url(base, `${self}/items`), rel: 'items', type: 'application/geo+json', title: 'the records' },
      {
        href: url(base, '/catalog.jsonld'),
        rel: 'alternate',
        type: 'application/ld+json',
        title: 'the public catalog as DCAT-AP (JSON-LD)',
      },
    ],
  };
}
