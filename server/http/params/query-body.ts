/** The fields of the JSON bodies of POST /query/intersects and /query/summary; each failure names the field. */
import type { Layer } from '../../catalog/catalog.ts';
import type { LayerColumn } from '../../catalog/definition.ts';
import { InvalidParameterError } from '../../errors.ts';

/** The JSON object of a POST body, or a 400 when the body is missing or not an object. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidParameterError('the request body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

/** A required, non-empty string field of a POST body. */
export function bodyString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new InvalidParameterError(`field "${name}" is required and must be a string`);
  return v;
}

/** The `limit` field of a POST body: a whole number from 1 to `max`; 1000 (or `max`) when absent. */
export function bodyLimit(body: Record<string, unknown>, max: number): number {
  const v = body.limit;
  if (v === undefined) return Math.min(1000, max);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw new InvalidParameterError(`field "limit": must be a whole number from 1 to ${max}`);
  return v;
}

/** groupBy: a column name or a list of up to 4, each a column of the layer. */
export function parseGroupBy(layer: Layer, value: unknown): LayerColumn[] {
  if (value === undefined || value === null) return [];
  const names = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(names) || names.length > 4 || !names.every((n) => typeof n === 'string')) {
    throw new InvalidParameterError('field "groupBy": a property name or a list of at most 4 property names');
  }
  return [...new Set(names as string[])].map((n) => {
    const column = layer.column(n);
    if (!column)
      throw new InvalidParameterError(`field "groupBy": layer "${layer.id}" has no property ${JSON.stringify(n.slice(0, 64))}`);
    return column;
  });
}
