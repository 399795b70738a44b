/** The `metadata` field of PATCH /admin/layers/{id}: a whole open-data record, validated and checked against the categories. */
import { InvalidParameterError } from '../../errors.ts';
import {
  checkCategories,
  MetadataValidationError,
  parseDatasetMetadata,
  type DatasetMetadata,
  type OpenDataCategory,
} from '../../catalog/metadata.ts';

/** The validated record, or undefined when the body has no `metadata`; a bad record is a 400 naming the field. */
export function parseMetadataField(
  body: Record<string, unknown>,
  categories: readonly OpenDataCategory[],
): DatasetMetadata | undefined {
  if (body.metadata === undefined) return undefined;
  try {
    const m = parseDatasetMetadata(body.metadata);
    checkCategories(m, categories);
    return m;
  } catch (err) {
    if (err instanceof MetadataValidationError) throw new InvalidParameterError(err.message, err.field);
    throw err;
  }
}
