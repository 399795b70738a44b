/** CQL2 (OGC 21-065) for OGC API Features Part 3: parse text or JSON into one syntax tree, compile it to bound SQL. */
export { CqlError, defaultCqlLimits, originOf } from './ast.ts';
export type { CqlNode, CqlScalar, CqlGeomExpression, CqlLimits, ComparisonOperator, SpatialOperator } from './ast.ts';
export { parseCql2Text } from './text.ts';
export { parseCql2Json } from './json.ts';
export { compileCql2 } from './compile.ts';
export type { CompileContext, CompiledFilter, ResolvedProperty } from './compile.ts';
