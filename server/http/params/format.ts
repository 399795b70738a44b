/** The output format of an OGC resource: the `f` parameter, else the Accept header. */
import type { Request } from 'express';
import { InvalidParameterError } from '../../errors.ts';
import { mediaTypes } from '../../features/collections.ts';
import { queryValue } from './query-string.ts';

/** Output formats of OGC resources, chosen by `f` or the Accept header. */
export type Format = 'json' | 'html' | 'csv';

const formatAliases: Record<string, Format> = { json: 'json', geojson: 'json', html: 'html', csv: 'csv' };

/** `f` wins; otherwise Accept (browsers ask for text/html first; GDAL, QGIS and curl get JSON). */
export function negotiate(req: Request, allowed: readonly Format[]): Format {
  const f = queryValue(req.query as Record<string, unknown>, 'f');
  if (f !== undefined) {
    const format = formatAliases[f.toLowerCase()];
    if (!format || !allowed.includes(format)) {
      throw new InvalidParameterError(`parameter "f": ${JSON.stringify(f.slice(0, 20))} is not one of ${allowed.join(', ')}`);
    }
    return format;
  }
  const types: Record<Format, string[]> = {
    json: [mediaTypes.json, mediaTypes.geojson],
    html: [mediaTypes.html],
    csv: [mediaTypes.csv],
  };
  const best = req.accepts(allowed.flatMap((a) => types[a]));
  if (!best) return allowed[0];
  return (Object.keys(types) as Format[]).find((k) => types[k].includes(best)) ?? allowed[0];
}
