/** Layer management for the admin API: listing with version information, and who may change what. */
import type { AppContext } from '../context.ts';
import type { Layer, Principal } from '../catalog/catalog.ts';
import { hasRole } from '../auth/tokens.ts';
import { layersWithPrevious } from './publish.ts';
import { UploadError } from './types.ts';

/** A layer as GET /admin/layers lists it. */
export interface ManagedLayer {
  id: string;
  title: string;
  titleVi: string;
  description: string;
  keywords: string[];
  group: string;
  geometryType: string;
  sourceCrs: string | null;
  access: 'public' | 'restricted';
  origin: 'builtin' | 'upload';
  owner: string | null;
  dataVersion: number;
  updatedAt: string;
  bounds: Layer['bounds'];
  columns: Layer['columns'];
  style: Layer['style'];
  licence: string;
  attribution: string;
  /** True when POST /admin/layers/{id}/rollback can restore a previous version. */
  hasPrevious: boolean;
}

function describe(l: Layer, previous: Set<string>): ManagedLayer {
  return {
    id: l.id,
    title: l.title,
    titleVi: l.titleVi,
    description: l.description,
    keywords: l.keywords,
    group: l.group,
    geometryType: l.geometryType,
    sourceCrs: l.sourceCrs,
    access: l.access,
    origin: l.origin,
    owner: l.owner,
    dataVersion: l.dataVersion,
    updatedAt: l.updatedAt.toISOString(),
    bounds: l.bounds,
    columns: l.columns,
    style: l.style,
    licence: l.licence,
    attribution: l.attribution,
    hasPrevious: previous.has(l.id),
  };
}

/** Every layer, restricted ones included (the caller holds an editor token). */
export async function listManagedLayers(ctx: AppContext, principal: Principal): Promise<ManagedLayer[]> {
  const previous = await layersWithPrevious(ctx.db);
  return ctx.catalog.list(principal).map((l) => describe(l, previous));
}

/** One layer, or 404. */
export async function managedLayer(ctx: AppContext, id: string, principal: Principal): Promise<ManagedLayer> {
  const previous = await layersWithPrevious(ctx.db);
  return describe(ctx.catalog.get(id, principal), previous);
}

/** Throws 403 unless the principal is an admin or the layer's owner. 404 for an unknown layer. */
export function checkOwnerOrAdmin(ctx: AppContext, id: string, principal: Principal): void {
  const layer = ctx.catalog.find(id);
  if (!layer) throw new UploadError(404, 'NotFound', `layer "${id}" does not exist`);
  if (hasRole(principal.role, 'admin') || (layer.owner !== null && layer.owner === principal.name)) return;
  throw new UploadError(403, 'Forbidden', `only an admin or the owner (${layer.owner ?? 'none'}) may do this to layer "${id}"`);
}
