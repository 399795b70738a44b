/** A reader of little-endian 2D WKB (what PostGIS writes with ST_AsBinary(g, 'NDR')), for the Shapefile writer. */

/** A geometry as parts of x,y pairs: one part per point (multipoint), line or ring. */
export interface PartsGeometry {
  /** 1 point, 2 line, 3 polygon (of the WKB type number, Multi* folded onto their base). */
  kind: 1 | 2 | 3;
  parts: Float64Array[];
}

/** Reads WKB into parts; Z and M are not expected (our tables are 2D). */
export function readWkb(bytes: Uint8Array): PartsGeometry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const parts: Float64Array[] = [];
  let kind: 1 | 2 | 3 = 1;
  const points = (n: number) => {
    const a = new Float64Array(n * 2);
    for (let i = 0; i < n * 2; i++) a[i] = view.getFloat64(pos + i * 8, true);
    pos += n * 16;
    return a;
  };
  const one = (): void => {
    const little = view.getUint8(pos) === 1;
    if (!little) throw new Error('WKB: big-endian input (ask PostGIS for NDR)');
    const type = view.getUint32(pos + 1, true) % 1000;
    pos += 5;
    const count = () => {
      const n = view.getUint32(pos, true);
      pos += 4;
      return n;
    };
    switch (type) {
      case 1:
        kind = 1;
        parts.push(points(1));
        return;
      case 2:
        kind = 2;
        parts.push(points(count()));
        return;
      case 3: {
        kind = 3;
        const rings = count();
        for (let r = 0; r < rings; r++) parts.push(points(count()));
        return;
      }
      case 4:
      case 5:
      case 6:
      case 7: {
        const n = count();
        for (let i = 0; i < n; i++) one();
        return;
      }
      default:
        throw new Error(`WKB: geometry type ${type} is not supported`);
    }
  };
  one();
  return { kind, parts };
}
