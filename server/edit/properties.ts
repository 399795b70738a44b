/**
 * Properties of an edited feature checked against the layer's columns: unknown names and values of the wrong type are
 * InvalidParameterError naming the property. Pure; the values returned are what is bound in SQL (null clears).
 */
import type { LayerColumn } from '../catalog/definition.ts';
import { InvalidParameterError } from '../errors.ts';

/** The longest text value accepted for one property (characters). */
export const maxTextLength = 10_000;

/** A checked property value, ready to bind. */
export type PropertyValue = string | number | boolean | null;

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function typeError(layerId: string, column: LayerColumn, value: unknown, expected: string): InvalidParameterError {
  const shown = JSON.stringify(value)?.slice(0, 40) ?? String(value);
  return new InvalidParameterError(
    `property "${column.name}" of layer "${layerId}": ${shown} is not ${expected} (column type ${column.type})`,
    `properties.${column.name}`,
  );
}

/** Checks one value against its column; null is always accepted here (NOT NULL columns answer from the database). */
export function checkValue(layerId: string, column: LayerColumn, value: unknown): PropertyValue {
  if (value === null) return null;
  switch (column.type) {
    case 'string':
      if (typeof value !== 'string') throw typeError(layerId, column, value, 'a string');
      if (value.length > maxTextLength)
        throw typeError(layerId, column, `${value.slice(0, 20)}…`, `at most ${maxTextLength} characters`);
      return value.normalize('NFC');
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(layerId, column, value, 'a whole number');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(layerId, column, value, 'a finite number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(layerId, column, value, 'true or false');
      return value;
    case 'date':
      if (typeof value !== 'string' || !datePattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
        throw typeError(layerId, column, value, 'a date (YYYY-MM-DD)');
      }
      return value;
    case 'datetime':
      if (typeof value !== 'string' || !dateTimePattern.test(value) || Number.isNaN(Date.parse(value))) {
        throw typeError(layerId, column, value, 'a date and time (ISO 8601, e.g. 2026-07-01T08:00:00+07:00)');
      }
      return value;
  }
}

/**
 * Checks a properties object against the columns and returns the values by column name, in column order.
 * Every key must be a column; columns not given are left out (a create leaves them NULL, an update unchanged).
 */
export function checkProperties(
  layerId: string,
  columns: readonly LayerColumn[],
  properties: Record<string, unknown>,
): Map<string, PropertyValue> {
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const key of Object.keys(properties)) {
    if (!byName.has(key)) {
      const known = columns.map((c) => c.name).join(', ') || 'none';
      throw new InvalidParameterError(
        `property "${key.slice(0, 63)}" is not a column of layer "${layerId}" (columns: ${known})`,
        `properties.${key.slice(0, 63)}`,
      );
    }
  }
  const values = new Map<string, PropertyValue>();
  for (const c of columns) if (Object.hasOwn(properties, c.name)) values.set(c.name, checkValue(layerId, c, properties[c.name]));
  return values;
}

/** The keys whose values differ between two property objects (JSON equality), plus "geometry" when it moved. */
export function changedKeys(before: FeatureJson | null, after: FeatureJson | null): string[] {
  const keys = new Set([...Object.keys(before?.properties ?? {}), ...Object.keys(after?.properties ?? {})]);
  const changed = [...keys].filter(
    (k) => JSON.stringify(before?.properties?.[k] ?? null) !== JSON.stringify(after?.properties?.[k] ?? null),
  );
  if (JSON.stringify(before?.geometry ?? null) !== JSON.stringify(after?.geometry ?? null)) changed.push('geometry');
  return changed;
}

/** A stored feature as GeoJSON (EPSG:4326), as history keeps it. */
export interface FeatureJson {
  type: 'Feature';
  id: number;
  geometry: { type: string; coordinates: unknown } | null;
  properties: Record<string, unknown>;
}
