/**
 * Who may change a layer: its owning token (recorded by token id, never by name: names are not unique) or an admin.
 * Built-in layers and layers without an owner are for admins only. Changing who may read a layer (`access`) or who
 * owns it is for admins only, whoever owns the layer.
 */
import type { Principal } from '../catalog/catalog.ts';
import { hasRole } from '../auth/tokens.ts';
import { ForbiddenError } from '../errors.ts';

/** What the rule needs to know of a layer. */
export interface OwnedLayer {
  id: string;
  origin: string;
  owner: string | null;
  access: string;
}

/** True when `who` may change the data and metadata of `layer`. */
export function mayChange(layer: OwnedLayer, who: Principal): boolean {
  if (hasRole(who.role, 'admin')) return true;
  return hasRole(who.role, 'editor') && layer.origin === 'upload' && layer.owner !== null && layer.owner === who.tokenId;
}

/** Throws ForbiddenError naming the rule (not the owner's token) unless `who` may change `layer`. */
export function checkMayChange(layer: OwnedLayer, who: Principal, what: string): void {
  if (mayChange(layer, who)) return;
  const rule =
    layer.origin === 'upload' ? 'only the token that owns it or an admin may' : 'it is a built-in layer: only an admin may';
  throw new ForbiddenError(`layer "${layer.id}": ${rule} ${what}`);
}

/**
 * Throws ForbiddenError unless `who` is an admin, when `access` would change what `layer` has. A new layer (none
 * yet) may be created with either access: that changes no one's rights.
 */
export function checkAccessChange(
  layer: { id: string; access: string } | undefined,
  access: string | undefined,
  who: Principal,
): void {
  if (!layer || access === undefined || access === layer.access || hasRole(who.role, 'admin')) return;
  throw new ForbiddenError(`layer "${layer.id}": changing access from ${layer.access} to ${access} needs an admin token`);
}
