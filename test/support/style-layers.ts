/** Catalog layers for the style tests, without a database: made up, or the built-in ones of layers/*.json. */
import type { Layer } from '../../server/catalog/catalog.ts';
import { loadLayerDefinitions, type LayerColumn } from '../../server/catalog/definition.ts';

/** A catalog layer for style tests: a polygon layer of parcels unless `over` says otherwise. */
export function layer(over: Partial<Layer> & { columns?: LayerColumn[] } = {}): Layer {
  const columns: LayerColumn[] = over.columns ?? [
    { name: 'code', type: 'string', label: { en: 'Code', vi: 'Mã' } },
    { name: 'level', type: 'integer', label: { en: 'Level', vi: 'Cấp' } },
  ];
  return {
    id: 'parcels',
    title: 'Parcels',
    titleVi: 'Thửa',
    description: '',
    keywords: [],
    group: 'landuse',
    tableSql: '"parcels"',
    table: 'parcels',
    geometryType: 'Polygon',
    sourceCrs: null,
    columns,
    minzoom: 10,
    maxzoom: 17,
    style: { type: 'single', color: '#112233' },
    tileOptions: {},
    attribution: '',
    licence: '',
    access: 'public',
    origin: 'builtin',
    owner: null,
    sortOrder: 10,
    dataVersion: 1,
    updatedAt: new Date(0),
    bounds: [105.9, 21.0, 106.3, 21.3],
    column: (n: string) => columns.find((c) => c.name === n),
    ...over,
  } as Layer;
}

/** The built-in layers of layers/*.json as the catalog would serve them. */
export function builtInLayers(): Layer[] {
  return loadLayerDefinitions('layers').map((d) =>
    layer({
      id: d.id,
      title: d.title,
      titleVi: d.titleVi,
      group: d.group,
      geometryType: d.geometryType,
      columns: d.columns,
      minzoom: d.minzoom,
      maxzoom: d.maxzoom,
      style: d.style,
      tileOptions: d.tileOptions,
      access: d.access,
      sortOrder: d.sortOrder,
      column: (n: string) => d.columns.find((c) => c.name === n),
    }),
  );
}
