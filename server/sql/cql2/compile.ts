/**
 * CqlNode -> a WHERE fragment with knex `?` placeholders. Properties resolve only through the caller's catalog
 * function; every literal is a bound value with a cast so PostgreSQL and PostGIS overloads resolve; operand types
 * are checked against the column types first, so a mismatch is a CqlError (400), never a database error.
 */
import type { ColumnType } from '../../wire/layer.ts';
import { CqlError, comparisonOperators, originOf, type CqlGeomExpression, type CqlNode, type CqlScalar } from './ast.ts';
import { accentTable } from './accents.ts';
import { dwithinSql, geometryLiteralSql, spatialFunctionSql, type LiteralCrs } from './spatial.ts';

/** A property as the catalog knows it: its SQL (already quoted) and its type. `sql` is accepted for `sqlIdent`. */
export type ResolvedProperty = ({ sqlIdent: string } | { sql: string }) & { type: ColumnType | 'geometry' };

/** What the compiler needs to know about the layer and the request. */
export interface CompileContext {
  /** The column behind a property name, or undefined when the layer has none (a CqlError names it). */
  resolveProperty(name: string): ResolvedProperty | undefined;
  /** SQL of the layer geometry (EPSG:4326), used for `geom` and `geometry` when the resolver does not know them. */
  geometrySql: string;
  /** EPSG code of geometry literals (`filter-crs`); 4326 (CRS84) by default. */
  filterSrid?: number;
  /** Latitude-first literals (`filter-crs` EPSG:4326 proper): swap the axes. Default false (CRS84 order). */
  swapAxes?: boolean;
  /**
   * For a table read in place in another SRID: the index test of its stored column against an EPSG:4326 literal
   * (server/sql/native.ts), added before a spatial predicate between the geometry and a literal. Give it only when
   * it returns a test: the literal is bound before it is called.
   */
  nativeBox?: (literal4326Sql: string) => string | null;
}

/** A compiled filter: SQL for a WHERE clause and the values of its `?` placeholders, in order. */
export interface CompiledFilter {
  sql: string;
  bindings: unknown[];
}

/** Compiles a parsed filter to bound SQL; unknown properties and type mismatches are CqlErrors. */
export function compileCql2(node: CqlNode, ctx: CompileContext): CompiledFilter {
  const c = new Compiler(ctx);
  const sql = c.predicate(node);
  return { sql, bindings: c.bindings };
}

type Operand = { sql: string; type: ColumnType } | { literal: CqlScalar; type: ColumnType };

/** Types that compare with each other. */
function family(t: ColumnType): string {
  return t === 'integer' || t === 'number' ? 'numeric' : t === 'date' || t === 'datetime' ? 'temporal' : t;
}

function describeScalar(s: CqlScalar): string {
  switch (s.kind) {
    case 'property':
      return `property "${s.name.slice(0, 64)}"`;
    case 'string':
      return `'${s.value.length > 40 ? `${s.value.slice(0, 40)}...` : s.value}'`;
    case 'date':
      return `DATE('${s.value}')`;
    case 'timestamp':
      return `TIMESTAMP('${s.value}')`;
    case 'casei':
    case 'accenti':
      return `${s.kind.toUpperCase()}(${describeScalar(s.arg)})`;
    default:
      return String(s.value);
  }
}

const geometryNames = new Set(['geom', 'geometry']);

/**
 * Knex reads every `?` as a placeholder, even inside a quoted identifier: a column named `có?` must reach it as
 * `"có\?"`. A backslash right before such a `?` cannot be written at all, so that name is refused.
 */
function escapePlaceholders(sql: string, name: string, where: string): string {
  if (/\\\?/.test(sql))
    throw new CqlError(`property ${JSON.stringify(name.slice(0, 64))} cannot be used in a filter (it holds "\\?")`, where);
  return sql.replace(/\?/g, '\\?');
}

class Compiler {
  readonly bindings: unknown[] = [];
  private readonly crs: LiteralCrs;
  private readonly resolved = new Map<string, { sql: string; type: ColumnType | 'geometry' } | undefined>();

  constructor(private readonly ctx: CompileContext) {
    const srid = ctx.filterSrid ?? 4326;
    if (!Number.isSafeInteger(srid) || srid <= 0) throw new CqlError(`filter CRS EPSG:${srid} is not a valid SRID`);
    this.crs = { srid, swapAxes: ctx.swapAxes ?? false };
  }

  private bind = (value: unknown, cast: string): string => {
    this.bindings.push(value);
    return `?::${cast}`;
  };

  private property(name: string, where: string): { sql: string; type: ColumnType | 'geometry' } {
    if (!this.resolved.has(name)) {
      const r = this.ctx.resolveProperty(name);
      const sql = r ? ('sqlIdent' in r ? r.sqlIdent : r.sql) : undefined;
      const geometry = geometryNames.has(name) ? { sql: this.ctx.geometrySql, type: 'geometry' as const } : undefined;
      const found = r && sql ? { sql, type: r.type } : geometry;
      this.resolved.set(name, found && { sql: escapePlaceholders(found.sql, name, where), type: found.type });
    }
    const p = this.resolved.get(name);
    if (!p) throw new CqlError(`unknown property ${JSON.stringify(name.slice(0, 64))}`, where);
    return p;
  }

  predicate(node: CqlNode): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        return `(${node.args.map((a) => this.predicate(a)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.predicate(node.arg)})`;
      case 'boolean':
        return this.bind(node.value, 'boolean');
      case 'compare': {
        // The tree is typed, but it is the last gate before SQL: only the six operators are ever written.
        if (!(comparisonOperators as readonly string[]).includes(node.op)) {
          throw new CqlError(`unknown comparison operator ${JSON.stringify(node.op)}`, originOf(node));
        }
        const [l, r] = this.comparable([node.left, node.right], node, 'compare');
        return `(${l} ${node.op} ${r})`;
      }
      case 'between': {
        const [v, lo, hi] = this.comparable([node.value, node.low, node.high], node, 'BETWEEN');
        return `(${v} BETWEEN ${lo} AND ${hi})`;
      }
      case 'in': {
        const [v, ...list] = this.comparable([node.value, ...node.list], node, 'IN');
        return `(${v} IN (${list.join(', ')}))`;
      }
      case 'like':
        return this.like(node.value, node.pattern, originOf(node));
      case 'isNull':
        return `(${this.nullable(node.value)} IS NULL)`;
      case 'spatial': {
        if (!Object.hasOwn(spatialFunctionSql, node.op))
          throw new CqlError(`unknown spatial operator ${JSON.stringify(node.op)}`, originOf(node));
        const exact = () => `${spatialFunctionSql[node.op]}(${this.geometry(node.left)}, ${this.geometry(node.right)})`;
        // Every predicate but S_DISJOINT implies that the boxes meet: the table's own index may narrow it first.
        const literal = node.left.kind === 'property' ? node.right : node.right.kind === 'property' ? node.left : null;
        if (!this.ctx.nativeBox || node.op === 's_disjoint' || !literal || literal.kind === 'property') return exact();
        const bound = this.geometry(literal);
        // A test of null would leave the literal's values bound without their placeholders: keep them in the text.
        return `(${this.ctx.nativeBox(bound) ?? `${bound} IS NOT NULL`} AND ${exact()})`;
      }
      case 'dwithin':
        return this.dwithin(node.left, node.right, node.metres);
      default:
        throw new CqlError(`unknown node ${JSON.stringify((node as { kind: unknown }).kind)}`, originOf(node));
    }
  }

  /** Operands of one comparison: all of one type family; literals get the cast of the property they meet. */
  private comparable(scalars: CqlScalar[], node: CqlNode, what: string): string[] {
    const operands = scalars.map((s) => this.operand(s));
    const first = operands[0];
    for (let i = 1; i < operands.length; i++) {
      if (family(operands[i].type) !== family(first.type)) {
        const verb = what === 'compare' ? 'compare' : `use ${what} with`;
        const [a, b] = [`${describeScalar(scalars[0])} (${first.type})`, `${describeScalar(scalars[i])} (${operands[i].type})`];
        throw new CqlError(`cannot ${verb} ${a} and ${b}`, originOf(node));
      }
    }
    if (what === 'BETWEEN' && first.type === 'boolean')
      throw new CqlError('BETWEEN needs numbers, dates or text, not booleans', originOf(node));
    const columnType = operands.find((o) => 'sql' in o)?.type;
    return operands.map((o) => this.operandSql(o, columnType));
  }

  /** The type of a value, resolving properties; geometry is not a value here. */
  private operand(s: CqlScalar): Operand {
    const where = originOf(s);
    switch (s.kind) {
      case 'property': {
        const p = this.property(s.name, where);
        if (p.type === 'geometry')
          throw new CqlError(`property ${JSON.stringify(s.name)} is a geometry; use it in a spatial predicate`, where);
        return { sql: p.sql, type: p.type };
      }
      case 'casei':
      case 'accenti': {
        const inner = this.operand(s.arg);
        if (inner.type !== 'string')
          throw new CqlError(`${s.kind.toUpperCase()} needs text, got ${describeScalar(s.arg)} (${inner.type})`, where);
        const sql = this.operandSql(inner, 'string');
        return { sql: s.kind === 'casei' ? `lower(${sql})` : this.unaccent(sql), type: 'string' };
      }
      case 'string':
        return { literal: s, type: 'string' };
      case 'number':
        return { literal: s, type: 'number' };
      case 'boolean':
        return { literal: s, type: 'boolean' };
      case 'date':
        return { literal: s, type: 'date' };
      case 'timestamp':
        return { literal: s, type: 'datetime' };
    }
  }

  private unaccent(sql: string): string {
    return `translate(normalize(${sql}, NFC), ${this.bind(accentTable.from, 'text')}, ${this.bind(accentTable.to, 'text')})`;
  }

  /**
   * A literal's placeholder with the cast that keeps an index usable: bigint against integer columns (same btree
   * family), numeric otherwise (float8 columns take it by implicit cast of the value, numeric columns as is).
   */
  private operandSql(o: Operand, columnType: ColumnType | undefined): string {
    if ('sql' in o) return o.sql;
    const lit = o.literal;
    switch (lit.kind) {
      case 'string':
        return this.bind(lit.value, 'text');
      case 'number':
        return this.bind(lit.value, columnType === 'integer' && Number.isSafeInteger(lit.value) ? 'bigint' : 'numeric');
      case 'boolean':
        return this.bind(lit.value, 'boolean');
      case 'date':
        return this.bind(lit.value, 'date');
      case 'timestamp':
        return this.bind(lit.value, 'timestamptz');
      default:
        throw new CqlError(`${describeScalar(lit)} is not a literal`, originOf(lit));
    }
  }

  /** LIKE with CQL2's wildcards `%` and `_` and escape `\`, which are PostgreSQL's own defaults. */
  private like(value: CqlScalar, pattern: CqlScalar, where: string): string {
    const [v, p] = [this.operand(value), this.operand(pattern)];
    for (const [o, s] of [
      [v, value],
      [p, pattern],
    ] as const) {
      if (o.type !== 'string') throw new CqlError(`LIKE needs text, got ${describeScalar(s)} (${o.type})`, where);
    }
    let inner: CqlScalar = pattern;
    while (inner.kind === 'casei' || inner.kind === 'accenti') inner = inner.arg;
    if (inner.kind === 'string' && /(^|[^\\])(\\\\)*\\$/.test(inner.value)) {
      throw new CqlError('a LIKE pattern must not end with the escape character \\', originOf(inner));
    }
    return `(${this.operandSql(v, 'string')} LIKE ${this.operandSql(p, 'string')})`;
  }

  private nullable(value: CqlScalar | CqlGeomExpression): string {
    if (value.kind === 'property') {
      const p = this.property(value.name, originOf(value));
      if (p.type === 'geometry') return p.sql;
    }
    if (value.kind === 'geometry' || value.kind === 'bbox') return this.geometry(value);
    return this.operandSql(this.operand(value), undefined);
  }

  /** A geometry operand: the bare column (so the GiST index applies) or a literal in EPSG:4326. */
  private geometry(g: CqlGeomExpression): string {
    if (g.kind !== 'property') return geometryLiteralSql(g, this.crs, this.bind);
    const p = this.property(g.name, originOf(g));
    if (p.type !== 'geometry') throw new CqlError(`property ${JSON.stringify(g.name)} is not a geometry`, originOf(g));
    return p.sql;
  }

  private dwithin(left: CqlGeomExpression, right: CqlGeomExpression, metres: number): string {
    const [column, literal] = left.kind === 'property' ? [left, right] : [right, left];
    if (column.kind === 'property' && literal.kind !== 'property') {
      return dwithinSql(this.geometry(column), () => this.geometry(literal), metres, this.bind, this.ctx.nativeBox);
    }
    return `ST_DWithin(${this.geometry(left)}::geography, ${this.geometry(right)}::geography, ${this.bind(metres, 'double precision')})`;
  }
}
