/**
 * CQL2-JSON (OGC 21-065 "CQL2 JSON encoding") -> CqlNode. The input is an already parsed JSON value; it is
 * walked with a depth limit (MapServer needed one, #7549) and a node budget, and every error names the JSON path.
 */
import {
  CqlBudget,
  CqlError,
  comparisonOperators,
  defaultCqlLimits,
  spatialOperators,
  withOrigin,
  type ComparisonOperator,
  type CqlGeomExpression,
  type CqlLimits,
  type CqlNode,
  type CqlScalar,
  type SpatialOperator,
} from './ast.ts';
import { GeoJsonReader, checkBbox, isObject } from './geometry.ts';
import { checkDate, checkNumber, checkTimestamp, distanceInMetres, unsupportedFunctionMessage } from './literals.ts';

/** Parses a CQL2-JSON filter (a value from JSON.parse); every problem is a CqlError naming its JSON path. */
export function parseCql2Json(value: unknown, limits: CqlLimits = defaultCqlLimits): CqlNode {
  return new JsonParser(new CqlBudget(limits)).expression(value, '$', 1);
}

/** The `op` of an object, lower-cased ("isNull" -> "isnull"), or undefined. */
function opOf(v: Record<string, unknown>): string | undefined {
  return typeof v.op === 'string' ? v.op.toLowerCase() : undefined;
}

/** PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database. */
function checkText(value: string, path: string): string {
  if (value.includes('\u0000')) throw new CqlError('a string contains a NUL character', path);
  return value;
}

class JsonParser {
  private readonly geojson: GeoJsonReader;
  constructor(private readonly budget: CqlBudget) {
    this.geojson = new GeoJsonReader(budget);
  }

  private make<T extends object>(node: T, path: string): T {
    this.budget.node(path);
    return withOrigin(node, path);
  }

  /** The `args` array of an operator with its arity checked. */
  private args(v: Record<string, unknown>, path: string, min: number, max: number): unknown[] {
    const args = v.args;
    const what = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    if (!Array.isArray(args)) throw new CqlError(`"${v.op}" needs "args", an array of ${what} arguments`, path);
    if (args.length < min || args.length > max) {
      throw new CqlError(`"${v.op}" takes ${what} arguments, got ${args.length}`, `${path}.args`);
    }
    return args;
  }

  expression(v: unknown, path: string, depth: number): CqlNode {
    this.budget.depth(depth, path);
    if (typeof v === 'boolean') return this.make({ kind: 'boolean', value: v }, path);
    if (!isObject(v)) throw new CqlError('expected a predicate: an object with "op" and "args", or true/false', path);
    const op = opOf(v);
    if (op === undefined) throw new CqlError('expected a predicate: an object with "op" (a string) and "args"', path);
    const at = (i: number) => `${path}.args[${i}]`;
    if (op === 'and' || op === 'or') {
      const args = this.args(v, path, 2, Infinity);
      return this.make({ kind: op, args: args.map((a, i) => this.expression(a, at(i), depth + 1)) }, path);
    }
    if (op === 'not') {
      const [arg] = this.args(v, path, 1, 1);
      return this.make({ kind: 'not', arg: this.expression(arg, at(0), depth + 1) }, path);
    }
    if ((comparisonOperators as readonly string[]).includes(op)) {
      const [l, r] = this.args(v, path, 2, 2);
      const [left, right] = [this.scalar(l, at(0), depth + 1), this.scalar(r, at(1), depth + 1)];
      return this.make({ kind: 'compare', op: op as ComparisonOperator, left, right }, path);
    }
    if ((spatialOperators as readonly string[]).includes(op)) {
      const [l, r] = this.args(v, path, 2, 2);
      return this.make(
        { kind: 'spatial', op: op as SpatialOperator, left: this.geometry(l, at(0)), right: this.geometry(r, at(1)) },
        path,
      );
    }
    return this.otherPredicate(v, op, path, depth);
  }

  private otherPredicate(v: Record<string, unknown>, op: string, path: string, depth: number): CqlNode {
    const at = (i: number) => `${path}.args[${i}]`;
    switch (op) {
      case 'like': {
        const [value, pattern] = this.args(v, path, 2, 2);
        return this.make(
          { kind: 'like', value: this.scalar(value, at(0), depth + 1), pattern: this.scalar(pattern, at(1), depth + 1) },
          path,
        );
      }
      case 'between': {
        const [value, low, high] = this.args(v, path, 3, 3).map((a, i) => this.scalar(a, at(i), depth + 1));
        return this.make({ kind: 'between', value, low, high }, path);
      }
      case 'in':
        return this.inList(v, path, depth);
      case 'isnull': {
        // CQL2 1.0 wraps the operand in an array; drafts gave it bare.
        const [arg, where] = Array.isArray(v.args) ? [this.args(v, path, 1, 1)[0], at(0)] : [v.args, `${path}.args`];
        const isGeometry = isObject(arg) && (arg.type !== undefined || arg.bbox !== undefined);
        const value = isGeometry ? this.geometry(arg, where) : this.scalar(arg, where, depth + 1);
        return this.make({ kind: 'isNull', value }, path);
      }
      case 's_dwithin': {
        const [l, r, distance, units] = this.args(v, path, 4, 4);
        const metres = distanceInMetres(distance, units, `${path}.args[2]`);
        return this.make({ kind: 'dwithin', left: this.geometry(l, at(0)), right: this.geometry(r, at(1)), metres }, path);
      }
      case 'casei':
      case 'accenti':
        throw new CqlError(`"${v.op}" is a value, not a predicate`, `${path}.op`);
      default:
        throw new CqlError(
          unsupportedFunctionMessage(op) ?? `unknown operator ${JSON.stringify(String(v.op).slice(0, 64))}`,
          `${path}.op`,
        );
    }
  }

  private inList(v: Record<string, unknown>, path: string, depth: number): CqlNode {
    const [value, list] = this.args(v, path, 2, 2);
    const listPath = `${path}.args[1]`;
    if (!Array.isArray(list) || list.length === 0)
      throw new CqlError('"in" needs a non-empty array of values as its second argument', listPath);
    if (list.length > this.budget.limits.maxInListItems) {
      throw new CqlError(`the IN list has ${list.length} values, more than ${this.budget.limits.maxInListItems}`, listPath);
    }
    const items = list.map((item, i) => this.scalar(item, `${listPath}[${i}]`, depth + 1));
    return this.make({ kind: 'in', value: this.scalar(value, `${path}.args[0]`, depth + 1), list: items }, path);
  }

  private scalar(v: unknown, path: string, depth: number): CqlScalar {
    this.budget.depth(depth, path);
    if (typeof v === 'string') return this.make({ kind: 'string', value: checkText(v, path) }, path);
    if (typeof v === 'number') return this.make({ kind: 'number', value: checkNumber(v, path) }, path);
    if (typeof v === 'boolean') return this.make({ kind: 'boolean', value: v }, path);
    if (v === null) throw new CqlError('null is not a value (test for it with "isNull")', path);
    if (!isObject(v))
      throw new CqlError('expected a value: a string, a number, a boolean, {"property"}, {"date"} or {"timestamp"}', path);
    if (Object.hasOwn(v, 'property')) return this.make({ kind: 'property', name: this.propertyName(v, path) }, path);
    if (Object.hasOwn(v, 'date')) return this.make({ kind: 'date', value: checkDate(v.date, `${path}.date`) }, path);
    if (Object.hasOwn(v, 'timestamp'))
      return this.make({ kind: 'timestamp', value: checkTimestamp(v.timestamp, `${path}.timestamp`) }, path);
    const op = opOf(v);
    if (op === 'casei' || op === 'accenti') {
      const [arg] = this.args(v, path, 1, 1);
      return this.make({ kind: op, arg: this.scalar(arg, `${path}.args[0]`, depth + 1) }, path);
    }
    if (op !== undefined) {
      const name = JSON.stringify(String(v.op).slice(0, 64));
      throw new CqlError(
        unsupportedFunctionMessage(op) ?? `${name} is not a value (functions and arithmetic are not supported)`,
        path,
      );
    }
    if (Object.hasOwn(v, 'type') || Object.hasOwn(v, 'bbox'))
      throw new CqlError('a geometry is only allowed in a spatial predicate', path);
    throw new CqlError('expected a value: a string, a number, a boolean, {"property"}, {"date"} or {"timestamp"}', path);
  }

  private propertyName(v: Record<string, unknown>, path: string): string {
    if (typeof v.property !== 'string' || v.property.length === 0)
      throw new CqlError('"property" must be a non-empty string', `${path}.property`);
    return checkText(v.property, `${path}.property`);
  }

  private geometry(v: unknown, path: string): CqlGeomExpression {
    if (!isObject(v)) throw new CqlError('expected a geometry: {"property"}, {"bbox": [...]} or a GeoJSON geometry', path);
    if (Object.hasOwn(v, 'property')) return this.make({ kind: 'property', name: this.propertyName(v, path) }, path);
    if (Object.hasOwn(v, 'bbox') && !Object.hasOwn(v, 'type'))
      return this.make({ kind: 'bbox', bbox: checkBbox(v.bbox, `${path}.bbox`) }, path);
    if (Object.hasOwn(v, 'type')) return this.make({ kind: 'geometry', geometry: this.geojson.geometry(v, path) }, path);
    throw new CqlError('expected a geometry: {"property"}, {"bbox": [...]} or a GeoJSON geometry', path);
  }
}
