/** Layer management for the admin API: listing with version and ownership information. */
import type { AppContext } from '../context.ts';
import type { Layer, Principal } from '../catalog/catalog.ts';
import type { Database } from '../db/database.ts';
import { layersWithPrevious } from './publish.ts';
import { mayChange } from './ownership.ts';

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
  origin: 'builtin' | 'upload' | 'source';
  /** The id of the owning token (null: built in, or left to admins). */
  owner: string | null;
  /** The owning token's name, for people (names are not unique: `owner` is what counts). */
  ownerName: string | null;
  /** True when the caller may replace, roll back, edit or delete this layer. */
  mayChange: boolean;
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

interface Context {
  previous: Set<string>;
  names: Map<string, string>;
  principal: Principal;
}

async function contextOf(db: Database, principal: Principal): Promise<Context> {
  const tokens = await db.rows<{ id: string; name: string }>('SELECT id, name FROM api_tokens');
  return { previous: await layersWithPrevious(db), names: new Map(tokens.map((t) => [t.id, t.name])), principal };
}

function describe(l: Layer, c: Context): ManagedLayer {
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
    ownerName: l.owner === null ? null : (c.names.get(l.owner) ?? null),
    mayChange: mayChange(l, c.principal),
    dataVersion: l.dataVersion,
    updatedAt: l.updatedAt.toISOString(),
    bounds: l.bounds,
    columns: l.columns,
    style: l.style,
    licence: l.licence,
    attribution: l.attribution,
    hasPrevious: c.previous.has(l.id),
  };
}

/** Every layer, restricted ones included (the caller holds an editor token). */
export async function listManagedLayers(ctx: AppContext, principal: Principal): Promise<ManagedLayer[]> {
  const c = await contextOf(ctx.db, principal);
  return ctx.catalog.list(principal).map((l) => describe(l, c));
}

/** One layer, or 404. */
export async function managedLayer(ctx: AppContext, id: string, principal: Principal): Promise<ManagedLayer> {
  return describe(ctx.catalog.get(id, principal), await contextOf(ctx.db, principal));
}
