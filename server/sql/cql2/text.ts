/**
 * CQL2 text (OGC 21-065 "CQL2 Text encoding") -> CqlNode, by recursive descent over the grammar of annex B:
 * OR binds loosest, then AND, then NOT; predicates are comparisons, LIKE, BETWEEN, IN, IS NULL and the
 * spatial functions (plus S_DWITHIN). Depth, size and vertex limits hold before anything reaches SQL.
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
import { checkDate, checkNumber, checkTimestamp, distanceInMetres, unsupportedFunctionMessage } from './literals.ts';
import { TokenStream, tokenize, type Token } from './lexer.ts';
import { readGeometryLiteral, startsGeometryLiteral } from './wkt.ts';

const reserved = new Set(['AND', 'OR', 'NOT', 'LIKE', 'BETWEEN', 'IN', 'IS', 'NULL']);

/** Parses a CQL2 text filter; every problem is a CqlError naming it and its character offset. */
export function parseCql2Text(text: string, limits: CqlLimits = defaultCqlLimits): CqlNode {
  if (typeof text !== 'string') throw new CqlError('a CQL2 text filter must be a string');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxTextBytes)
    throw new CqlError(`the filter is ${bytes} bytes long, more than the limit of ${limits.maxTextBytes}`);
  // PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new CqlError('the filter contains a NUL character', `offset ${nul}`);
  const ts = new TokenStream(tokenize(text));
  if (ts.peek().type === 'end') throw new CqlError('the filter is empty', 'offset 0');
  const node = new TextParser(ts, new CqlBudget(limits)).expression(1);
  if (ts.peek().type !== 'end') throw ts.unexpected('expected AND, OR or the end of the filter');
  return node;
}

class TextParser {
  constructor(
    private readonly ts: TokenStream,
    private readonly budget: CqlBudget,
  ) {}

  private make<T extends object>(node: T, at: Token): T {
    this.budget.node(this.ts.where(at));
    return withOrigin(node, this.ts.where(at));
  }

  /** booleanExpression = booleanTerm { OR booleanTerm } */
  expression(depth: number): CqlNode {
    this.budget.depth(depth, this.ts.where());
    const start = this.ts.peek();
    const args = [this.term(depth)];
    while (this.ts.isKeyword('OR')) {
      this.ts.next();
      args.push(this.term(depth));
    }
    return args.length === 1 ? args[0] : this.make({ kind: 'or', args }, start);
  }

  /** booleanTerm = booleanFactor { AND booleanFactor } */
  private term(depth: number): CqlNode {
    const start = this.ts.peek();
    const args = [this.factor(depth)];
    while (this.ts.isKeyword('AND')) {
      this.ts.next();
      args.push(this.factor(depth));
    }
    return args.length === 1 ? args[0] : this.make({ kind: 'and', args }, start);
  }

  /** booleanFactor = [NOT] booleanPrimary */
  private factor(depth: number): CqlNode {
    const start = this.ts.peek();
    if (this.ts.isKeyword('NOT')) {
      this.ts.next();
      this.budget.depth(depth + 1, this.ts.where(start));
      return this.make({ kind: 'not', arg: this.factor(depth + 1) }, start);
    }
    return this.primary(depth);
  }

  private primary(depth: number): CqlNode {
    const t = this.ts.peek();
    if (this.ts.isSymbol('(')) {
      this.ts.next();
      const inner = this.expression(depth + 1);
      this.ts.expectSymbol(')', `to close the "(" at offset ${t.offset}`);
      return inner;
    }
    if (t.type === 'ident' && this.ts.isSymbol('(', 1)) {
      const name = t.text.toLowerCase();
      if ((spatialOperators as readonly string[]).includes(name)) return this.spatial(name as SpatialOperator, depth);
      if (name === 's_dwithin') return this.dwithin(depth);
    }
    if ((this.ts.isKeyword('TRUE') || this.ts.isKeyword('FALSE')) && this.endsPredicate(1)) {
      this.ts.next();
      return this.make({ kind: 'boolean', value: t.text.toUpperCase() === 'TRUE' }, t);
    }
    return this.predicate(depth);
  }

  /** True when the token `k` ahead cannot continue a comparison (so TRUE/FALSE stand alone as a predicate). */
  private endsPredicate(k: number): boolean {
    const t = this.ts.peek(k);
    if (t.type === 'end' || (t.type === 'symbol' && t.text === ')')) return true;
    return t.type === 'ident' && ['AND', 'OR'].includes(t.text.toUpperCase());
  }

  private predicate(depth: number): CqlNode {
    const start = this.ts.peek();
    const value = this.scalar(depth);
    const opToken = this.ts.peek();
    if (opToken.type === 'symbol' && (comparisonOperators as readonly string[]).includes(opToken.text)) {
      this.ts.next();
      return this.make(
        { kind: 'compare', op: opToken.text as ComparisonOperator, left: value, right: this.scalar(depth) },
        opToken,
      );
    }
    if (this.ts.isKeyword('IS')) {
      this.ts.next();
      const negated = this.ts.isKeyword('NOT');
      if (negated) this.ts.next();
      this.ts.expectKeyword('NULL', 'after IS');
      const node = this.make<CqlNode>({ kind: 'isNull', value }, opToken);
      return negated ? this.make({ kind: 'not', arg: node }, opToken) : node;
    }
    const negated = this.ts.isKeyword('NOT');
    if (negated) this.ts.next();
    const node = this.negatable(value, depth);
    if (!node)
      throw this.ts.unexpected(
        `expected a comparison operator, LIKE, BETWEEN, IN or IS after the value at offset ${start.offset}`,
      );
    return negated ? this.make({ kind: 'not', arg: node }, opToken) : node;
  }

  /** The predicates that take NOT before their keyword: LIKE, BETWEEN, IN. */
  private negatable(value: CqlScalar, depth: number): CqlNode | undefined {
    const kw = this.ts.peek();
    if (this.ts.isKeyword('LIKE')) {
      this.ts.next();
      return this.make<CqlNode>({ kind: 'like', value, pattern: this.scalar(depth) }, kw);
    }
    if (this.ts.isKeyword('BETWEEN')) {
      this.ts.next();
      const low = this.scalar(depth);
      this.ts.expectKeyword('AND', 'between the bounds of BETWEEN');
      return this.make<CqlNode>({ kind: 'between', value, low, high: this.scalar(depth) }, kw);
    }
    if (this.ts.isKeyword('IN')) {
      this.ts.next();
      this.ts.expectSymbol('(', 'after IN');
      const list = [this.scalar(depth)];
      while (this.ts.isSymbol(',')) {
        this.ts.next();
        if (list.length >= this.budget.limits.maxInListItems) {
          throw new CqlError(`the IN list has more than ${this.budget.limits.maxInListItems} values`, this.ts.where(kw));
        }
        list.push(this.scalar(depth));
      }
      this.ts.expectSymbol(')', 'to close the IN list');
      return this.make<CqlNode>({ kind: 'in', value, list }, kw);
    }
    return undefined;
  }

  /** A value: literal, property, DATE/TIMESTAMP, or CASEI/ACCENTI of a value. */
  private scalar(depth: number): CqlScalar {
    const t = this.ts.peek();
    if (t.type === 'string') return this.make({ kind: 'string', value: this.ts.next().text }, t);
    if (t.type === 'number' || ((this.ts.isSymbol('-') || this.ts.isSymbol('+')) && this.ts.peek(1).type === 'number')) {
      const sign = t.type === 'symbol' && this.ts.next().text === '-' ? -1 : 1;
      const source = this.ts.next().text;
      return this.make({ kind: 'number', value: checkNumber(sign * Number(source), this.ts.where(t), source) }, t);
    }
    if (t.type === 'quoted') return this.make({ kind: 'property', name: this.ts.next().text }, t);
    if (t.type !== 'ident') throw this.ts.unexpected('expected a value (a property, a literal, DATE(...) or TIMESTAMP(...))');
    const upper = t.text.toUpperCase();
    if (!this.ts.isSymbol('(', 1)) {
      if (upper === 'TRUE' || upper === 'FALSE')
        return this.make({ kind: 'boolean', value: this.ts.next().text.toUpperCase() === 'TRUE' }, t);
      if (reserved.has(upper)) throw this.ts.unexpected('expected a value');
      return this.make({ kind: 'property', name: this.ts.next().text }, t);
    }
    return this.call(t, upper, depth);
  }

  private call(t: Token, upper: string, depth: number): CqlScalar {
    if (upper === 'DATE' || upper === 'TIMESTAMP') {
      this.ts.next();
      this.ts.expectSymbol('(', `after ${upper}`);
      const s = this.ts.peek();
      if (s.type !== 'string') throw this.ts.unexpected(`expected a quoted instant in ${upper}(...)`);
      this.ts.next();
      this.ts.expectSymbol(')', `to close ${upper}(...)`);
      return upper === 'DATE'
        ? this.make({ kind: 'date', value: checkDate(s.text, this.ts.where(s)) }, t)
        : this.make({ kind: 'timestamp', value: checkTimestamp(s.text, this.ts.where(s)) }, t);
    }
    if (upper === 'CASEI' || upper === 'ACCENTI') {
      this.ts.next();
      this.budget.depth(depth + 1, this.ts.where(t));
      this.ts.expectSymbol('(', `after ${upper}`);
      const arg = this.scalar(depth + 1);
      this.ts.expectSymbol(')', `to close ${upper}(...)`);
      return this.make({ kind: upper === 'CASEI' ? 'casei' : 'accenti', arg }, t);
    }
    if (startsGeometryLiteral(this.ts))
      throw new CqlError(`a ${upper} literal is only allowed in a spatial predicate`, this.ts.where(t));
    const known = upper.startsWith('S_') ? `${upper} is a predicate, not a value` : unsupportedFunctionMessage(t.text);
    throw new CqlError(known ?? `unknown function ${t.text}`, this.ts.where(t));
  }

  /** S_INTERSECTS(a, b) and the other spatial functions of the Spatial Operators class. */
  private spatial(op: SpatialOperator, depth: number): CqlNode {
    const t = this.ts.next();
    this.budget.depth(depth + 1, this.ts.where(t));
    this.ts.expectSymbol('(', `after ${t.text}`);
    const left = this.geometry();
    this.ts.expectSymbol(',', `between the arguments of ${t.text} (it takes 2)`);
    const right = this.geometry();
    this.ts.expectSymbol(')', `to close ${t.text} (it takes 2 arguments)`);
    return this.make({ kind: 'spatial', op, left, right }, t);
  }

  /** S_DWITHIN(a, b, distance, units): within a distance on the ellipsoid. */
  private dwithin(depth: number): CqlNode {
    const t = this.ts.next();
    this.budget.depth(depth + 1, this.ts.where(t));
    this.ts.expectSymbol('(', 'after S_DWITHIN');
    const left = this.geometry();
    this.ts.expectSymbol(',', 'after the first argument of S_DWITHIN (it takes geometry, geometry, distance, units)');
    const right = this.geometry();
    this.ts.expectSymbol(',', 'after the second argument of S_DWITHIN (it takes geometry, geometry, distance, units)');
    const d = this.ts.peek();
    const distance = this.scalar(depth + 1);
    if (distance.kind !== 'number') throw new CqlError('the distance of S_DWITHIN must be a number', this.ts.where(d));
    this.ts.expectSymbol(',', 'after the distance of S_DWITHIN (units such as meters must follow)');
    const u = this.ts.peek();
    if (u.type !== 'ident' && u.type !== 'string') throw this.ts.unexpected('expected distance units such as meters');
    this.ts.next();
    this.ts.expectSymbol(')', 'to close S_DWITHIN (it takes 4 arguments)');
    return this.make({ kind: 'dwithin', left, right, metres: distanceInMetres(distance.value, u.text, this.ts.where(u)) }, t);
  }

  private geometry(): CqlGeomExpression {
    const t = this.ts.peek();
    const literalFollows = this.ts.isSymbol('(', 1) || this.ts.isKeyword('Z', 1) || this.ts.isKeyword('EMPTY', 1);
    if (startsGeometryLiteral(this.ts) && literalFollows) return readGeometryLiteral(this.ts, this.budget);
    if ((t.type === 'ident' && !this.ts.isSymbol('(', 1) && !reserved.has(t.text.toUpperCase())) || t.type === 'quoted') {
      return this.make({ kind: 'property', name: this.ts.next().text }, t);
    }
    throw this.ts.unexpected('expected a geometry (a WKT literal, BBOX(...) or the geometry property)');
  }
}
