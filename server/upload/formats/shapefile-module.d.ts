/** Types of the parts of the `shapefile` package (mbostock, 0.6) that the Shapefile reader uses. */
declare module 'shapefile' {
  import type { Geometry } from 'geojson';
  /** A source of geometries read one at a time. */
  export interface ShpSource {
    bbox: [number, number, number, number];
    read(): Promise<{ done: boolean; value: Geometry | null }>;
    cancel(): Promise<void>;
  }
  /** Opens a .shp file (path, bytes or stream). */
  export function openShp(source: string | Uint8Array | ArrayBuffer): Promise<ShpSource>;
}
