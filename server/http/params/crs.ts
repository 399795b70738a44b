/** The CRS parameters of OGC API Features Part 2 (`crs`, `bbox-crs`, `filter-crs`), resolved through the CRS registry. */
import { CRS84, UnknownCrsError, parseCrsUri, type CrsDefinition } from '../../crs/registry.ts';
import { InvalidParameterError } from '../../errors.ts';

/** Resolves a CRS parameter (URI, URN or EPSG:n); an unknown one is a 400 naming the parameter. */
export function parseCrsParam(param: string, value: string | undefined): CrsDefinition {
  if (value === undefined || value === '') return CRS84;
  try {
    return parseCrsUri(value);
  } catch (err) {
    if (err instanceof UnknownCrsError) throw new InvalidParameterError(`parameter "${param}": ${err.message}`, param);
    throw err;
  }
}
