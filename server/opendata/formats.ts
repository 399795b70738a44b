/** The download formats of a dataset: what the download endpoint writes and what DCAT and the records list. */

/** Format names as the `format` parameter takes them. */
export const downloadFormats = ['geojson', 'csv', 'kml', 'gpkg', 'shp'] as const;

/** One download format. */
export type DownloadFormat = (typeof downloadFormats)[number];

/** What a client and a harvester need to know of a format. */
export interface FormatInfo {
  title: string;
  mediaType: string;
  /** File name extension with its dot. */
  extension: string;
  /** The EU file-type vocabulary entry DCAT-AP expects in dct:format. */
  euFileType: string;
  /** KML is WGS 84 by definition (OGC 07-147r2); the others take any supported CRS. */
  wgs84Only: boolean;
}

/** The formats, in the order the portal shows them. */
export const formatInfo: Record<DownloadFormat, FormatInfo> = {
  geojson: {
    title: 'GeoJSON',
    mediaType: 'application/geo+json',
    extension: '.geojson',
    euFileType: 'GEOJSON',
    wgs84Only: false,
  },
  csv: { title: 'CSV', mediaType: 'text/csv', extension: '.csv', euFileType: 'CSV', wgs84Only: false },
  kml: { title: 'KML', mediaType: 'application/vnd.google-earth.kml+xml', extension: '.kml', euFileType: 'KML', wgs84Only: true },
  gpkg: {
    title: 'GeoPackage',
    mediaType: 'application/geopackage+sqlite3',
    extension: '.gpkg',
    euFileType: 'GPKG',
    wgs84Only: false,
  },
  shp: { title: 'Shapefile (zip)', mediaType: 'application/zip', extension: '.shp.zip', euFileType: 'SHP', wgs84Only: false },
};

/** True for a known format name. */
export function isDownloadFormat(value: string): value is DownloadFormat {
  return (downloadFormats as readonly string[]).includes(value);
}
