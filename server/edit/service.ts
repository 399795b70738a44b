/**
 * EditService: create, replace, update and delete one feature of a layer (OGC API Features Part 4), with optimistic
 * concurrency (ETag = md5 of the stored row), a history row and an audit row in the same transaction, and restore of
 * an earlier version. Tiles over the old and new geometry are dropped by the layer table's statement triggers
 * (migrations/005) on every instance once the transaction commits.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { Layer, Principal } from '../catalog/catalog.ts';
import { checkMayChange } from '../upload/ownership.ts';
import { hasRole } from '../auth/tokens.ts';
import { actorOf, recordAudit } from '../auth/audit.ts';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, PreconditionFailedError } from '../errors.ts';
import { propertiesJsonSql } from '../sql/parts.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { CRS84 } from '../crs/registry.ts';
import { changedKeys, checkProperties, type FeatureJson, type PropertyValue } from './properties.ts';
import {
  prepareGeometry,
  storedGeometryBindings,
  storedGeometrySql,
  type EditGeometry,
  type PreparedGeometry,
} from './geometry.ts';
import { loadEditTable, type EditTable } from './table.ts';
import { findVersion, listVersions, nextVersion, recordVersion, type EditAction, type HistoryEntry } from './history.ts';

/** A whole feature from a POST or PUT body. */
export interface FeatureInput {
  geometry: EditGeometry;
  properties: Record<string, unknown>;
}

/** A JSON merge patch of a feature (PATCH): either part may be absent; a property set to null is cleared. */
export interface FeaturePatch {
  geometry?: EditGeometry;
  properties?: Record<string, unknown>;
}

/** Who edits which layer, and how. */
export interface EditRequest {
  layer: Layer;
  who: Principal;
  /** Repair an invalid geometry with ST_MakeValid instead of refusing it (`?repair=true`). */
  repair: boolean;
  /** The ETags of If-Match (`*` matches any existing feature); null when the header was absent. */
  ifMatch: readonly string[] | null;
  /** `If-None-Match: *`: the change applies only when the feature does not exist now (restore of a deleted feature). */
  ifNoneMatch?: boolean;
}

/**
 * The search index as an edit sees it (built by createApp: the search index builder). Called inside the edit's
 * transaction after the write, so the index entry commits or rolls back with the feature.
 */
export interface SearchIndexPort {
  /** Re-reads one feature's name and bbox into the index (removes its entry when it is gone or has no name). */
  indexFeature(trx: Knex.Transaction, layer: Layer, fid: number): Promise<void>;
}

/** The outcome of one change. */
export interface EditResult {
  fid: number;
  version: number;
  /** The new ETag, or null after a delete. */
  etag: string | null;
  feature: FeatureJson | null;
}

interface CurrentRow {
  etag: string;
  feature: FeatureJson;
}

/** The ETag header value of a stored row hash. */
export function etagOf(hash: string): string {
  return `"${hash}"`;
}

/** True when the If-Match list holds the current ETag (or `*`). */
export function ifMatchHolds(ifMatch: readonly string[], current: string): boolean {
  return ifMatch.some((t) => t === '*' || t === current);
}

/** A database error about a value (types, ranges, NOT NULL) as InvalidParameterError naming the column when known. */
function valueError(err: unknown, layerId: string): unknown {
  const e = err as { code?: string; column?: string; message?: string };
  if (typeof e.code !== 'string' || !/^2[23]/.test(e.code) || e.code === '23505') return err;
  const column = e.column ? `property "${e.column}"` : 'a property';
  return new InvalidParameterError(
    `${column} of layer "${layerId}": ${String(e.message)
      .replace(/^.*? - /, '')
      .slice(0, 200)}`,
    e.column ? `properties.${e.column}` : undefined,
  );
}

/** The edit operations, built once by createApp. */
export class EditService {
  constructor(
    private readonly db: Database,
    private readonly searchIndex: SearchIndexPort,
  ) {}

  /** The ETag of a stored feature, or null when there is none. */
  async etag(layer: Layer, fid: number): Promise<string | null> {
    const [row] = await this.db.rows<{ h: string }>(`SELECT md5(t::text) AS h FROM ${layer.tableSql} t WHERE t.id = ?::int`, [
      fid,
    ]);
    return row ? etagOf(row.h) : null;
  }

  /** Creates a feature with the next free id. */
  create(req: EditRequest, input: FeatureInput): Promise<EditResult> {
    return this.change(req, null, 'create', async (trx, table, fid) => {
      const g = await prepareGeometry(trx, input.geometry, req.layer.geometryType, table.storedType, req.repair);
      await this.insert(trx, req.layer, table, fid, g, checkProperties(req.layer.id, req.layer.columns, input.properties));
    });
  }

  /** Replaces a feature's geometry and every property (those not given become NULL). */
  replace(req: EditRequest, fid: number, input: FeatureInput): Promise<EditResult> {
    return this.change(req, fid, 'replace', async (trx, table) => {
      const g = await prepareGeometry(trx, input.geometry, req.layer.geometryType, table.storedType, req.repair);
      const given = checkProperties(req.layer.id, req.layer.columns, input.properties);
      const all = new Map(req.layer.columns.map((c) => [c.name, given.has(c.name) ? given.get(c.name)! : null]));
      await this.update(trx, req.layer, table, fid, g, all);
    });
  }

  /** Applies a merge patch: the geometry when given, the properties given (null clears one). */
  patch(req: EditRequest, fid: number, patch: FeaturePatch): Promise<EditResult> {
    return this.change(req, fid, 'update', async (trx, table) => {
      const g = patch.geometry
        ? await prepareGeometry(trx, patch.geometry, req.layer.geometryType, table.storedType, req.repair)
        : null;
      await this.update(trx, req.layer, table, fid, g, checkProperties(req.layer.id, req.layer.columns, patch.properties ?? {}));
    });
  }

  /** Deletes a feature. */
  remove(req: EditRequest, fid: number): Promise<EditResult> {
    return this.change(req, fid, 'delete', async (trx, table) => {
      await trx.raw(`DELETE FROM ${table.sql} WHERE id = ?::int`, [fid]);
    });
  }

  /** Every version of a feature, oldest first (also of a deleted one); NotFoundError when it was never edited. */
  async history(layer: Layer, fid: number): Promise<HistoryEntry[]> {
    const versions = await listVersions(this.db, layer.id, fid);
    if (versions.length === 0 && (await this.etag(layer, fid)) === null) {
      throw new NotFoundError(`layer "${layer.id}" has no feature with id ${fid}`);
    }
    return versions;
  }

  /**
   * Restores the feature as it was after `version` (admins only): a new, audited version. A deleted feature comes
   * back under its id; a version that is itself a delete cannot be restored (restore the one before it).
   */
  restore(req: EditRequest, fid: number, version: number): Promise<EditResult> {
    if (!hasRole(req.who.role, 'admin'))
      throw new ForbiddenError(`layer "${req.layer.id}": only an admin may restore an earlier version of a feature`);
    return this.change(req, fid, 'restore', async (trx, table, _fid, current) => {
      const old = await findVersion(trx, req.layer.id, fid, version);
      if (!old) throw new NotFoundError(`feature ${fid} of layer "${req.layer.id}" has no version ${version}`);
      if (!old.after)
        throw new InvalidParameterError(
          `version ${version} of feature ${fid} is a delete; restore version ${version - 1} instead`,
          'version',
        );
      const g = await prepareGeometry(
        trx,
        { geojson: old.after.geometry!, crs: CRS84 },
        req.layer.geometryType,
        table.storedType,
        false,
      );
      const known = Object.fromEntries(Object.entries(old.after.properties).filter(([k]) => req.layer.column(k)));
      const given = checkProperties(req.layer.id, req.layer.columns, known);
      const all = new Map(req.layer.columns.map((c) => [c.name, given.has(c.name) ? given.get(c.name)! : null]));
      if (current) await this.update(trx, req.layer, table, fid, g, all);
      else await this.insert(trx, req.layer, table, fid, g, all);
    });
  }

  /**
   * One change in one transaction: the layer lock (shared: edits run side by side, an upload replacing the layer
   * waits), the row lock and If-Match check, the write, then the history and audit rows.
   */
  private async change(
    req: EditRequest,
    fid: number | null,
    action: EditAction,
    write: (trx: Knex.Transaction, table: EditTable, fid: number, current: CurrentRow | null) => Promise<void>,
  ): Promise<EditResult> {
    const { layer, who } = req;
    checkMayChange(layer, who, 'edit its features');
    try {
      return await this.db.knex.transaction(async (trx) => {
        await trx.raw("SELECT pg_advisory_xact_lock_shared(hashtext('sdi-layer:' || ?::text))", [layer.id]);
        const table = await loadEditTable(
          trx,
          layer.id,
          layer.columns.map((c) => c.name),
        );
        let id = fid;
        if (id === null) {
          // New ids are max + 1 (layer tables have no sequence): creates of one layer take turns.
          await trx.raw("SELECT pg_advisory_xact_lock(hashtext('sdi-edit-create:' || ?::text))", [layer.id]);
          const [row] = (await trx.raw(`SELECT coalesce(max(id), 0)::int + 1 AS id FROM ${table.sql}`)).rows as Array<{
            id: number;
          }>;
          id = Number(row.id);
        }
        const current = fid === null ? null : await this.current(trx, layer, table, fid);
        if (fid !== null && action !== 'restore' && !current)
          throw new NotFoundError(`layer "${layer.id}" has no feature with id ${fid}`);
        if (current && req.ifMatch && !ifMatchHolds(req.ifMatch, current.etag)) {
          throw new PreconditionFailedError(
            `feature ${fid} of layer "${layer.id}" has changed since ETag ${req.ifMatch.join(', ')} was read ` +
              `(now ${current.etag}); read it again and retry`,
          );
        }
        if (!current && req.ifMatch && fid !== null)
          throw new PreconditionFailedError(`feature ${fid} of layer "${layer.id}" does not exist any more`);
        if (current && req.ifNoneMatch)
          throw new PreconditionFailedError(
            `feature ${fid} of layer "${layer.id}" exists again (now ${current.etag}); read it and send its ETag in If-Match`,
          );
        await write(trx, table, id, current);
        await this.searchIndex.indexFeature(trx, layer, id);
        const after = action === 'delete' ? null : await this.current(trx, layer, table, id);
        const before = current?.feature ?? null;
        const changed = changedKeys(before, after?.feature ?? null);
        const version = await nextVersion(trx, layer.id, id);
        const actor = actorOf(who);
        await recordVersion(trx, layer.id, id, version, action, actor, before, after?.feature ?? null, changed);
        await recordAudit(trx, actor, {
          action: `feature_${action}`,
          layerId: layer.id,
          details: { fid: id, version, changed, before, after: after?.feature ?? null },
        });
        return { fid: id, version, etag: after?.etag ?? null, feature: after?.feature ?? null };
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError(`feature of layer "${layer.id}" was changed by another edit at the same moment; retry`);
      throw valueError(err, layer.id);
    }
  }

  /** The row as GeoJSON with its ETag, locked for this transaction; null when absent. */
  private async current(trx: Knex.Transaction, layer: Layer, table: EditTable, fid: number): Promise<CurrentRow | null> {
    const props = propertiesJsonSql(layer.columns);
    const rows = (
      await trx.raw(
        `SELECT md5(t::text) AS h, json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 9)::json,
                'properties', (${props.sql})::json)::text AS f
           FROM ${table.sql} t WHERE t.id = ?::int FOR UPDATE`,
        [...(props.bindings as Knex.Value[]), fid],
      )
    ).rows as Array<{ h: string; f: string }>;
    return rows[0] ? { etag: etagOf(rows[0].h), feature: JSON.parse(rows[0].f) as FeatureJson } : null;
  }

  private async insert(
    trx: Knex.Transaction,
    layer: Layer,
    table: EditTable,
    fid: number,
    g: PreparedGeometry,
    values: Map<string, PropertyValue>,
  ) {
    const names = ['id', 'geom', ...values.keys(), ...table.fills.map((f) => f.name)];
    const geomSql = storedGeometrySql(layer.geometryType, table.storedType);
    const placeholders = ['?::int', geomSql, ...[...values.keys()].map(() => '?'), ...table.fills.map(() => '?')];
    await trx.raw(`INSERT INTO ${table.sql} (${names.map(quoteIdent).join(', ')}) VALUES (${placeholders.join(', ')})`, [
      fid,
      ...storedGeometryBindings(layer.geometryType, table.storedType, g),
      ...values.values(),
      ...table.fills.map((f) => f.value),
    ]);
  }

  private async update(
    trx: Knex.Transaction,
    layer: Layer,
    table: EditTable,
    fid: number,
    g: PreparedGeometry | null,
    values: Map<string, PropertyValue>,
  ) {
    const sets: string[] = [];
    const bindings: Knex.Value[] = [];
    if (g) {
      sets.push(`geom = ${storedGeometrySql(layer.geometryType, table.storedType)}`);
      bindings.push(...storedGeometryBindings(layer.geometryType, table.storedType, g));
    }
    for (const [name, value] of values) {
      sets.push(`${quoteIdent(name)} = ?`);
      bindings.push(value);
    }
    if (!sets.length) return;
    await trx.raw(`UPDATE ${table.sql} SET ${sets.join(', ')} WHERE id = ?::int`, [...bindings, fid]);
  }
}
