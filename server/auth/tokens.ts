/**
 * API tokens: a random 32-byte secret handed out once, stored only as its SHA-256 hash. A token carries a role
 * (viewer < editor < admin) and a name; revoked tokens stay in the table so the audit log can still name them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';
import { recordAudit, type Actor } from './audit.ts';

/** The roles, weakest first: each may do what the ones before it may. */
export const roles = ['viewer', 'editor', 'admin'] as const;

/** A token's role. */
export type Role = (typeof roles)[number];

/** True when `role` is at least `needed` (admin may do what an editor may, and so on). */
export function hasRole(role: Role, needed: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needed);
}

/** True for one of the three role names. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** A token as listed: never its secret nor its hash. */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A newly created token: `token` is the secret, shown this once. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_by: string | null;
  created_at: Date | string;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

/** Hex SHA-256 of a secret. A fast hash is enough: the secret has 256 random bits, nothing to brute-force. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Creates a token and returns its secret once. Throws RangeError for a bad role or an empty name. */
export async function createToken(db: Database, name: string, role: Role, actor: Actor): Promise<CreatedToken> {
  if (!isRole(role)) throw new RangeError(`role must be one of ${roles.join(', ')}, got ${JSON.stringify(role)}`);
  const clean = name.trim();
  if (!clean || clean.length > 200) throw new RangeError('name must be 1 to 200 characters');
  const id = `tok_${randomBytes(9).toString('base64url')}`;
  const token = `sdi_${randomBytes(32).toString('base64url')}`;
  const [row] = await db.rows<TokenRow>(
    `INSERT INTO api_tokens (id, name, role, token_hash, created_by) VALUES (?, ?, ?, ?, ?)
     RETURNING id, name, role, created_by, created_at, revoked_at, last_used_at`,
    [id, clean, role, hashToken(token), actor.name],
  );
  await recordAudit(db, actor, { action: 'token_create', details: { tokenId: id, name: clean, role } });
  return { ...toInfo(row), token };
}

/** Every token, newest first (revoked ones too, marked). */
export async function listTokens(db: Database): Promise<TokenInfo[]> {
  const rows = await db.rows<TokenRow>(
    'SELECT id, name, role, created_by, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC, id',
  );
  return rows.map(toInfo);
}

/** Revokes a token by id; false when no live token has that id. */
export async function revokeToken(db: Database, id: string, actor: Actor): Promise<boolean> {
  const rows = await db.rows<{ id: string }>(
    'UPDATE api_tokens SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL RETURNING id',
    [id],
  );
  if (rows.length === 0) return false;
  await recordAudit(db, actor, { action: 'token_revoke', details: { tokenId: id } });
  return true;
}

/** The principal of a live token secret, or null for an unknown or revoked one (callers must not tell which). */
export async function verifyToken(db: Database, secret: string): Promise<Principal | null> {
  if (!/^[A-Za-z0-9_-]{10,200}$/.test(secret)) return null;
  const [row] = await db.rows<{ id: string; name: string; role: Role }>(
    'UPDATE api_tokens SET last_used_at = now() WHERE token_hash = ? AND revoked_at IS NULL RETURNING id, name, role',
    [hashToken(secret)],
  );
  return row ? { role: row.role, tokenId: row.id, name: row.name } : null;
}
