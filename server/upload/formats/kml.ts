/** KML and KMZ (a zip whose main document is a .kml): placemarks read with @tmcw/togeojson. KML is always WGS 84 lon/lat. */
import { DOMParser } from '@xmldom/xmldom';
import { kml } from '@tmcw/togeojson';
import { badInput, readWholeText, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

/** Largest KML parsed (bytes): the whole document becomes a DOM, several times its size in memory. */
export const maxKmlBytes = 100 << 20;

/** Reads a KML document from disk; 400 when it is not XML, 413 past maxKmlBytes. */
export function openKml(name: string, file: string, fileName: string): SourceDataset {
  const text = readWholeText(file, fileName, 'KML', maxKmlBytes);
  const errors: string[] = [];
  const dom = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') errors.push(String(msg));
    },
  }).parseFromString(text, 'text/xml');
  if (errors.length || !dom.documentElement) throw badInput(`${fileName} is not valid XML: ${errors[0] ?? 'no root element'}`);
  const fc = kml(dom as unknown as Document);
  return {
    name,
    format: 'KML',
    crs: { source: 'KML (always WGS 84 longitude/latitude)', srid: 4326 },
    encoding: null,
    rawText: false,
    notes: [],
    async *features(): AsyncGenerator<SourceFeature> {
      let row = 0;
      for (const f of fc.features) {
        const props: Record<string, SourceValue> = {};
        for (const [k, v] of Object.entries(f.properties ?? {})) {
          if (k === 'styleUrl' || k === 'styleHash' || k === 'styleMapHash' || k.startsWith('fill') || k.startsWith('stroke') || k === 'icon') continue;
          props[k] = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
        }
        yield { geometry: f.geometry, properties: props, row: ++row };
      }
    },
  };
}
