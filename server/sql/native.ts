/**
 * The index test of a layer read in place from a table in another SRID (origin 'source'): its stored column
 * (`t.__native`, see catalog `sourceTableSql`) against the box of the query geometry transformed into the table's SRID
 * (`sdi_native_box`, migrations/016), so the table's own GiST index is used; the column is never transformed for the
 * test. The exact predicate then runs on `t.geom` (EPSG:4326) as for every other layer, so a table read in place answers
 * exactly what the same data uploaded (stored in EPSG:4326) answers.
 */

/** What the test needs of a layer: where its data lies (EPSG:4326) and the SRID of a table read in place. */
export interface NativeIndexLayer {
  readonly source: { readonly srid: number } | null;
  readonly bounds: readonly [number, number, number, number] | null;
}

/** Degrees around the data within which a transform into the table's SRID is trusted (a TM zone is good far wider). */
const domainMarginDegrees = 2;

/**
 * Where a transform into the table's SRID is trusted (EPSG:4326 box around its data), or null where `t.geom` is itself
 * the indexed column (the layer's own table, or a source table in EPSG:4326).
 */
export function nativeDomain(layer: NativeIndexLayer): [number, number, number, number] | null {
  const srid = layer.source?.srid;
  if (srid === undefined || srid === 4326) return null;
  const b = layer.bounds ?? [102, 8, 110, 24]; // an empty table: around Vietnam, where a new row would lie
  const m = domainMarginDegrees;
  return [Math.max(-180, b[0] - m), Math.max(-85, b[1] - m), Math.min(180, b[2] + m), Math.min(85, b[3] + m)];
}

/** True when a point (EPSG:4326) lies where the table's SRID may be used for it (see nativeDomain). */
export function inNativeDomain(layer: NativeIndexLayer, lon: number, lat: number): boolean {
  const d = nativeDomain(layer);
  return d !== null && lon >= d[0] && lon <= d[2] && lat >= d[1] && lat <= d[3];
}

/**
 * `t.__native && <box of geom4326Sql in the table's SRID>`, or null where no such test is needed (see nativeDomain).
 * `geom4326Sql` is an EPSG:4326 geometry expression written once, so its bindings (if any) come once, where this text
 * is placed.
 */
export function nativeBoxTest(layer: NativeIndexLayer, geom4326Sql: string): string | null {
  const d = nativeDomain(layer);
  if (!d) return null;
  const num = (v: number) => (Number.isFinite(v) ? String(v) : '0');
  return `t.__native && sdi_native_box(${geom4326Sql}, ${Math.trunc(layer.source!.srid)}, ST_MakeEnvelope(${d.map(num).join(', ')}, 4326))`;
}
