/**
 * OGC API - Tiles documents for the one tile matrix set we serve, WebMercatorQuad (OGC TMS 2.0 JSON),
 * and the tileset lists and metadata of a collection. Pure: links are built from a base URL.
 */
import type { Layer } from '../catalog/catalog.ts';
import { maxZoom, originShift, tileRange } from './grid.ts';
import { vectorLayer } from './tilejson.ts';
import type { Link } from '../features/links.ts';

/** The id of our only tile matrix set. */
export const webMercatorQuadId = 'WebMercatorQuad';
/** Its registered URI. */
export const webMercatorQuadUri = 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad';
const crs3857 = 'http://www.opengis.net/def/crs/EPSG/0/3857';
/** OGC's standardised rendering pixel size (0.28 mm), for scale denominators. */
const pixelSizeM = 0.00028;
const mvtType = 'application/vnd.mapbox-vector-tile';

export type { Link };

/** GET /tileMatrixSets: the list of tile matrix sets. */
export function tileMatrixSetList(baseUrl: string) {
  return {
    tileMatrixSets: [
      {
        id: webMercatorQuadId,
        title: 'Google Maps Compatible for the World',
        uri: webMercatorQuadUri,
        links: [
          {
            href: `${baseUrl}/tileMatrixSets/${webMercatorQuadId}`,
            rel: 'self',
            type: 'application/json',
            title: 'WebMercatorQuad definition',
          },
        ],
      },
    ],
  };
}

/** GET /tileMatrixSets/WebMercatorQuad: the OGC TMS 2.0 definition, zooms 0..24. */
export function webMercatorQuad() {
  const tileMatrices = [];
  for (let z = 0; z <= maxZoom; z++) {
    const cellSize = (2 * originShift) / 256 / 2 ** z;
    tileMatrices.push({
      id: String(z),
      scaleDenominator: cellSize / pixelSizeM,
      cellSize,
      cornerOfOrigin: 'topLeft',
      pointOfOrigin: [-originShift, originShift],
      tileWidth: 256,
      tileHeight: 256,
      matrixWidth: 2 ** z,
      matrixHeight: 2 ** z,
    });
  }
  return {
    id: webMercatorQuadId,
    title: 'Google Maps Compatible for the World',
    uri: webMercatorQuadUri,
    crs: crs3857,
    orderedAxes: ['X', 'Y'],
    wellKnownScaleSet: 'http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible',
    boundingBox: { lowerLeft: [-originShift, -originShift], upperRight: [originShift, originShift], crs: crs3857 },
    tileMatrices,
  };
}

function tileTemplate(baseUrl: string, layer: Layer): string {
  return `${baseUrl}/collections/${layer.id}/tiles/${webMercatorQuadId}/{tileMatrix}/{tileRow}/{tileCol}`;
}

function tilesetLinks(baseUrl: string, layer: Layer): Link[] {
  return [
    {
      href: `${baseUrl}/collections/${layer.id}/tiles/${webMercatorQuadId}`,
      rel: 'self',
      type: 'application/json',
      title: `${layer.title}: tileset metadata`,
    },
    {
      href: `${baseUrl}/tileMatrixSets/${webMercatorQuadId}`,
      rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme',
      type: 'application/json',
      title: 'WebMercatorQuad definition',
    },
    { href: tileTemplate(baseUrl, layer), rel: 'item', type: mvtType, title: 'Mapbox vector tiles', templated: true },
    { href: `${baseUrl}/tiles/${layer.id}.json`, rel: 'describedby', type: 'application/json', title: 'TileJSON 3.0.0' },
    { href: `${baseUrl}/collections/${layer.id}`, rel: 'collection', type: 'application/json', title: layer.title },
  ];
}

/** GET /collections/{layer}/tiles: the tilesets of a collection (one: vector tiles in WebMercatorQuad). */
export function tilesetList(baseUrl: string, layer: Layer) {
  return {
    links: [
      {
        href: `${baseUrl}/collections/${layer.id}/tiles`,
        rel: 'self',
        type: 'application/json',
        title: `${layer.title}: tilesets`,
      },
      { href: `${baseUrl}/collections/${layer.id}`, rel: 'collection', type: 'application/json', title: layer.title },
    ],
    tilesets: [
      {
        title: `${layer.title} (vector tiles)`,
        dataType: 'vector',
        crs: crs3857,
        tileMatrixSetURI: webMercatorQuadUri,
        links: tilesetLinks(baseUrl, layer),
      },
    ],
  };
}

/** GET /collections/{layer}/tiles/WebMercatorQuad: tileset metadata with the limits of the layer's data. */
export function tilesetMetadata(baseUrl: string, layer: Layer) {
  const tileMatrixSetLimits = [];
  if (layer.bounds) {
    for (let z = layer.minzoom; z <= Math.min(layer.maxzoom, maxZoom); z++) {
      const r = tileRange(layer.bounds, z, 0);
      tileMatrixSetLimits.push({
        tileMatrix: String(z),
        minTileRow: r.minY,
        maxTileRow: r.maxY,
        minTileCol: r.minX,
        maxTileCol: r.maxX,
      });
    }
  }
  const vl = vectorLayer(layer);
  return {
    title: layer.title,
    description: layer.description,
    dataType: 'vector',
    crs: crs3857,
    tileMatrixSetURI: webMercatorQuadUri,
    tileMatrixSetLimits,
    ...(layer.bounds
      ? {
          boundingBox: {
            lowerLeft: [layer.bounds[0], layer.bounds[1]],
            upperRight: [layer.bounds[2], layer.bounds[3]],
            crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84',
          },
        }
      : {}),
    layers: [
      {
        id: layer.id,
        title: layer.title,
        dataType: 'vector',
        geometryDimension: { Point: 0, LineString: 1, Polygon: 2 }[layer.geometryType],
        minTileMatrix: String(layer.minzoom),
        maxTileMatrix: String(layer.maxzoom),
        propertiesSchema: {
          type: 'object',
          properties: Object.fromEntries(
            Object.entries(vl.fields).map(([k, t]) => [
              k,
              { type: t === 'Number' ? 'number' : t === 'Boolean' ? 'boolean' : 'string' },
            ]),
          ),
        },
      },
    ],
    links: tilesetLinks(baseUrl, layer),
  };
}
