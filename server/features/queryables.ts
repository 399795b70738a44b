/** Queryables (OGC API Features Part 3): a JSON Schema 2020-12 of the properties a filter may use. Pure. */
import type { Layer } from '../catalog/catalog.ts';
import type { ColumnType } from '../catalog/definition.ts';

const jsonTypes: Record<ColumnType, Record<string, string>> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date' },
  datetime: { type: 'string', format: 'date-time' },
};

const geometryFormats: Record<Layer['geometryType'], string> = {
  Point: 'geometry-point-or-multipoint',
  LineString: 'geometry-linestring-or-multilinestring',
  Polygon: 'geometry-polygon-or-multipolygon',
};

/** The queryables schema of a layer; `id` is the document's own URL. */
export function queryablesSchema(layer: Layer, id: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    geometry: { title: 'geometry', format: geometryFormats[layer.geometryType], 'x-ogc-role': 'primary-geometry' },
    id: {
      title: 'feature id',
      type: (layer.source?.idType ?? 'integer') === 'integer' ? 'integer' : 'string',
      ...(layer.source?.idType === 'uuid' ? { format: 'uuid' } : {}),
      'x-ogc-role': 'id',
    },
  };
  for (const c of layer.columns) {
    properties[c.name] = {
      title: c.label.en,
      'x-title-vi': c.label.vi,
      ...(c.description ? { description: c.description } : {}),
      ...jsonTypes[c.type],
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: id,
    type: 'object',
    title: layer.title,
    properties,
    additionalProperties: false,
  };
}
