/**
 * DCAT-AP (JSON-LD) of the public catalog, for harvesters such as CKAN's ckanext-dcat: one dcat:Dataset per public
 * layer, each download format a dcat:Distribution. Controlled values use the EU vocabularies DCAT-AP names
 * (access rights, frequency, file type, language). Pure.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { DatasetMetadata } from '../catalog/metadata.ts';
import { downloadFormats, formatInfo } from './formats.ts';
import { keywordsOf } from './records.ts';
import { collectionPath, downloadUrl, url } from './links.ts';

const eu = 'http://publications.europa.eu/resource/authority';

/** Our update frequencies in the EU frequency vocabulary. */
const frequencyUri: Record<DatasetMetadata['updateFrequency'], string> = {
  continual: `${eu}/frequency/CONT`,
  daily: `${eu}/frequency/DAILY`,
  weekly: `${eu}/frequency/WEEKLY`,
  monthly: `${eu}/frequency/MONTHLY`,
  quarterly: `${eu}/frequency/QUARTERLY`,
  annual: `${eu}/frequency/ANNUAL`,
  irregular: `${eu}/frequency/IRREG`,
  never: `${eu}/frequency/NEVER`,
  unknown: `${eu}/frequency/UNKNOWN`,
};

const context = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  locn: 'http://www.w3.org/ns/locn#',
  adms: 'http://www.w3.org/ns/adms#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  gsp: 'http://www.opengis.net/ont/geosparql#',
};

const vi = (value: string) => ({ '@value': value, '@language': 'vi' });
const en = (value: string) => ({ '@value': value, '@language': 'en' });
const date = (value: string) => ({ '@value': value, '@type': 'xsd:date' });
const ref = (id: string) => ({ '@id': id });

function wktBox(b: [number, number, number, number]): string {
  const [x0, y0, x1, y1] = b;
  return `POLYGON((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0}))`;
}

function distributions(layer: Layer, base: string, m: DatasetMetadata | null): Array<Record<string, unknown>> {
  return downloadFormats.map((f) => ({
    '@id': downloadUrl(base, layer, f),
    '@type': 'dcat:Distribution',
    'dct:title': [vi(`${layer.titleVi} (${formatInfo[f].title})`), en(`${layer.title} (${formatInfo[f].title})`)],
    'dcat:accessURL': ref(downloadUrl(base, layer, f)),
    'dcat:downloadURL': ref(downloadUrl(base, layer, f)),
    'dcat:mediaType': ref(`https://www.iana.org/assignments/media-types/${formatInfo[f].mediaType}`),
    'dct:format': ref(`${eu}/file-type/${formatInfo[f].euFileType}`),
    ...(m ? { 'dct:license': ref(m.licence.url) } : {}),
  }));
}

/** One public layer as a dcat:Dataset. */
export function dcatDataset(layer: Layer, base: string): Record<string, unknown> {
  const m = layer.metadata;
  const t = m?.temporalExtent;
  return {
    '@id': url(base, collectionPath(layer)),
    '@type': 'dcat:Dataset',
    'dct:identifier': layer.id,
    'dct:title': [vi(layer.titleVi), en(layer.title)],
    'dct:description': m ? [vi(m.abstract.vi), en(m.abstract.en)] : [en(layer.description)],
    'dcat:keyword': keywordsOf(layer),
    'dcat:theme': m
      ? [
          ...m.topicCategories.map((c) => ref(`http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/${c}`)),
          ...m.categories.map((c) => ref(url(base, '/opendata/categories', { id: c }))),
        ]
      : [],
    'dcat:landingPage': ref(url(base, '/viewer/data.html', { dataset: layer.id })),
    'dct:accessRights': ref(`${eu}/access-right/${layer.access === 'public' ? 'PUBLIC' : 'RESTRICTED'}`),
    'dct:language': [ref(`${eu}/language/VIE`), ref(`${eu}/language/ENG`)],
    'dct:modified': date((m?.modified ?? layer.updatedAt.toISOString()).slice(0, 10)),
    'dct:spatial': layer.bounds
      ? { '@type': 'dct:Location', 'dcat:bbox': { '@value': wktBox(layer.bounds), '@type': 'gsp:wktLiteral' } }
      : undefined,
    ...(m
      ? {
          'dct:publisher': {
            '@type': 'foaf:Agent',
            'foaf:name': m.publisher.name,
            ...(m.publisher.url ? { 'foaf:homepage': ref(m.publisher.url) } : {}),
          },
          'dcat:contactPoint': {
            '@type': 'vcard:Organization',
            'vcard:fn': m.contactPoint.organisation,
            'vcard:hasEmail': ref(`mailto:${m.contactPoint.email}`),
          },
          'dct:license': ref(m.licence.url),
          'dct:rights': { '@type': 'dct:RightsStatement', 'rdfs:label': m.accessRights },
          'dct:accrualPeriodicity': ref(frequencyUri[m.updateFrequency]),
          'dct:provenance': { '@type': 'dct:ProvenanceStatement', 'rdfs:label': m.lineage },
          'dct:issued': date(m.created),
          'adms:version': m.version,
          ...(m.resolution.metres !== undefined
            ? { 'dcat:spatialResolutionInMeters': { '@value': String(m.resolution.metres), '@type': 'xsd:decimal' } }
            : {}),
          ...(t
            ? {
                'dct:temporal': {
                  '@type': 'dct:PeriodOfTime',
                  ...(t.start ? { 'dcat:startDate': date(t.start) } : {}),
                  ...(t.end ? { 'dcat:endDate': date(t.end) } : {}),
                },
              }
            : {}),
        }
      : {}),
    'dcat:distribution': distributions(layer, base, m),
  };
}

/** The catalog of the given (public) layers as one JSON-LD document. */
export function dcatCatalog(layers: readonly Layer[], base: string): Record<string, unknown> {
  return {
    '@context': context,
    '@id': url(base, '/catalog.jsonld'),
    '@type': 'dcat:Catalog',
    'dct:title': [vi('Danh mục dữ liệu mở tỉnh Bắc Ninh'), en('Bắc Ninh open-data catalog')],
    'dct:description': [
      en(
        'Open datasets of the Bắc Ninh spatial data infrastructure, with downloads in GeoJSON, CSV, KML, GeoPackage and Shapefile.',
      ),
    ],
    'dct:publisher': { '@type': 'foaf:Agent', 'foaf:name': 'Bắc Ninh SDI' },
    'foaf:homepage': ref(url(base, '/viewer/data.html')),
    'dct:language': [ref(`${eu}/language/VIE`), ref(`${eu}/language/ENG`)],
    'dcat:dataset': layers.map((l) => dcatDataset(l, base)),
  };
}
