/**
 * A small reader of WKT (ESRI .prj, OGC WKT1 and WKT2): enough structure to find the datum, the projection
 * method and its parameters. Keywords keep their case; lookups compare them case-insensitively.
 */

/** One WKT element: `KEYWORD[arg, arg, ...]` where an argument is a quoted string, a number or an element. */
export interface WktNode {
  readonly keyword: string;
  readonly args: ReadonlyArray<string | number | WktNode>;
}

/** A .prj or WKT text that does not parse; `position` is the character offset of the problem. */
export class WktSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position} of the WKT`);
    this.name = 'WktSyntaxError';
  }
}

const TOKEN = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"]|"")*")|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|([[(])|([\])])|(,))/y;

/** Parses one WKT element; throws WktSyntaxError on malformed text. */
export function parseWkt(text: string): WktNode {
  let pos = 0;
  type Tok = { kind: 'word' | 'string' | 'number' | 'open' | 'close' | 'comma'; value: string; at: number };
  const next = (): Tok | null => {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(pos))) return null;
      throw new WktSyntaxError('unexpected character', pos);
    }
    const at = pos;
    pos = TOKEN.lastIndex;
    if (m[1]) return { kind: 'word', value: m[1], at };
    if (m[2]) return { kind: 'string', value: m[2].slice(1, -1).replace(/""/g, '"'), at };
    if (m[3]) return { kind: 'number', value: m[3], at };
    if (m[4]) return { kind: 'open', value: m[4], at };
    if (m[5]) return { kind: 'close', value: m[5], at };
    return { kind: 'comma', value: ',', at };
  };
  const element = (keyword: Tok, depth: number): WktNode => {
    if (depth > 32) throw new WktSyntaxError('nesting deeper than 32 levels', keyword.at);
    // A bare word (WKT2 `Cartesian`, WKT1 `EAST`) is an element without brackets: give the token back.
    const before = pos;
    const open = next();
    if (open?.kind !== 'open') {
      pos = before;
      return { keyword: keyword.value, args: [] };
    }
    const args: Array<string | number | WktNode> = [];
    for (;;) {
      const t = next();
      if (!t) throw new WktSyntaxError(`unclosed ${keyword.value}[`, open.at);
      if (t.kind === 'close' && args.length === 0) break;
      if (t.kind === 'word') args.push(element(t, depth + 1));
      else if (t.kind === 'string') args.push(t.value);
      else if (t.kind === 'number') args.push(Number(t.value));
      else throw new WktSyntaxError(`unexpected "${t.value}"`, t.at);
      const sep = next();
      if (sep?.kind === 'close') break;
      if (sep?.kind !== 'comma') throw new WktSyntaxError(`expected "," or "]" in ${keyword.value}`, sep?.at ?? pos);
    }
    return { keyword: keyword.value, args };
  };
  const first = next();
  if (first?.kind !== 'word') throw new WktSyntaxError('expected a WKT keyword', first?.at ?? 0);
  return element(first, 0);
}

/** The element's child elements with one of the keywords (case-insensitive). */
export function children(node: WktNode, ...keywords: string[]): WktNode[] {
  const wanted = keywords.map((k) => k.toUpperCase());
  return node.args.filter((a): a is WktNode => typeof a === 'object' && wanted.includes(a.keyword.toUpperCase()));
}

/** The first element with one of the keywords, searching depth-first below (and including) `node`. */
export function findDeep(node: WktNode, ...keywords: string[]): WktNode | undefined {
  const wanted = keywords.map((k) => k.toUpperCase());
  if (wanted.includes(node.keyword.toUpperCase())) return node;
  for (const a of node.args) {
    if (typeof a !== 'object') continue;
    const hit = findDeep(a, ...keywords);
    if (hit) return hit;
  }
  return undefined;
}

/** The element's name: its first quoted-string argument ('' when it has none). */
export function nameOf(node: WktNode | undefined): string {
  const s = node?.args.find((a) => typeof a === 'string');
  return typeof s === 'string' ? s : '';
}

/** The element's numeric arguments in order. */
export function numbersOf(node: WktNode | undefined): number[] {
  return (node?.args ?? []).filter((a): a is number => typeof a === 'number');
}
