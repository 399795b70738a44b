/** Tokens of CQL2 text (OGC 21-065, annex B), each with its character offset for messages. */
import { CqlError } from './ast.ts';

/** One token. `text` is the identifier, the decoded string, the number's source or the symbol. */
export interface Token {
  type: 'ident' | 'quoted' | 'string' | 'number' | 'symbol' | 'end';
  text: string;
  offset: number;
}

const identStart = /[\p{L}_:]/u;
const identPart = /[\p{L}\p{N}\p{M}_:.\u203F\u2040]/u;
const numberAt = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const symbols = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '-', '+'];
// CQL2 whitespace: tab, LF, VT, FF, CR, space, NEL, NBSP and the Unicode spaces of the BNF.
const space = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;

/** Splits CQL2 text into tokens; an unknown character or an unterminated string is a CqlError with its offset. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (space.test(ch)) {
      i++;
    } else if (ch === "'") {
      i = readString(text, i, tokens);
    } else if (ch === '"') {
      i = readQuotedIdentifier(text, i, tokens);
    } else if (/[0-9.]/.test(ch)) {
      numberAt.lastIndex = i;
      const m = numberAt.exec(text);
      if (!m) throw new CqlError(`unexpected character ${JSON.stringify(ch)}`, `offset ${i}`);
      tokens.push({ type: 'number', text: m[0], offset: i });
      i += m[0].length;
    } else if (identStart.test(codePointAt(text, i))) {
      const start = i;
      i += codePointAt(text, i).length;
      while (i < text.length && identPart.test(codePointAt(text, i))) i += codePointAt(text, i).length;
      tokens.push({ type: 'ident', text: text.slice(start, i), offset: start });
    } else {
      const sym = symbols.find((s) => text.startsWith(s, i));
      if (!sym) throw new CqlError(`unexpected character ${JSON.stringify(codePointAt(text, i))}`, `offset ${i}`);
      tokens.push({ type: 'symbol', text: sym, offset: i });
      i += sym.length;
    }
  }
  tokens.push({ type: 'end', text: '', offset: text.length });
  return tokens;
}

function codePointAt(text: string, i: number): string {
  return String.fromCodePoint(text.codePointAt(i) ?? 0);
}

/** 'It''s' and 'It\'s' are both "It's" (the BNF's escapeQuote); any other backslash is kept for LIKE. */
function readString(text: string, start: number, tokens: Token[]): number {
  let value = '';
  let i = start + 1;
  for (;;) {
    const q = text.indexOf("'", i);
    if (q < 0) throw new CqlError('unterminated string literal', `offset ${start}`);
    if (q > i && text[q - 1] === '\\' && !endsWithEscapedBackslash(text, i, q - 1)) {
      value += text.slice(i, q - 1) + "'";
      i = q + 1;
    } else if (text[q + 1] === "'") {
      value += text.slice(i, q) + "'";
      i = q + 2;
    } else {
      value += text.slice(i, q);
      tokens.push({ type: 'string', text: value, offset: start });
      return q + 1;
    }
  }
}

// A quote after `\\` ends the string: the two backslashes are a LIKE-escaped backslash, not an escaped quote.
function endsWithEscapedBackslash(text: string, from: number, backslashAt: number): boolean {
  let n = 0;
  for (let k = backslashAt; k >= from && text[k] === '\\'; k--) n++;
  return n % 2 === 0;
}

/** "tên xã" and "a""b" (doubled quote): any name, as PostgreSQL writes it. */
function readQuotedIdentifier(text: string, start: number, tokens: Token[]): number {
  let value = '';
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) throw new CqlError('unterminated quoted property name', `offset ${start}`);
    value += text.slice(i, q);
    if (text[q + 1] === '"') {
      value += '"';
      i = q + 2;
    } else {
      if (value.length === 0) throw new CqlError('empty quoted property name', `offset ${start}`);
      tokens.push({ type: 'quoted', text: value, offset: start });
      return q + 1;
    }
  }
}

/** A cursor over the tokens with the small look-ups a recursive-descent parser needs. */
export class TokenStream {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /** The token `k` ahead of the current one (the end token past the end). */
  peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)];
  }

  /** Consumes and returns the current token. */
  next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.pos++;
    return t;
  }

  /** Is the token `k` ahead this keyword (case-insensitive, never a quoted name)? */
  isKeyword(keyword: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'ident' && t.text.toUpperCase() === keyword;
  }

  /** Is the token `k` ahead this symbol? */
  isSymbol(symbol: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'symbol' && t.text === symbol;
  }

  /** Consumes the keyword or throws a CqlError saying what was found instead. */
  expectKeyword(keyword: string, context: string): Token {
    if (!this.isKeyword(keyword)) throw this.unexpected(`expected ${keyword} ${context}`);
    return this.next();
  }

  /** Consumes the symbol or throws a CqlError saying what was found instead. */
  expectSymbol(symbol: string, context: string): Token {
    if (!this.isSymbol(symbol)) throw this.unexpected(`expected "${symbol}" ${context}`);
    return this.next();
  }

  /** `offset N` of a token, for messages and node origins. */
  where(t: Token = this.peek()): string {
    return `offset ${t.offset}`;
  }

  /** A CqlError for the current token: "<what>, found <token>". */
  unexpected(what: string): CqlError {
    return new CqlError(`${what}, found ${describe(this.peek())}`, this.where());
  }
}

/** How a token reads in a message. */
export function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `the string '${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}'`;
    case 'quoted':
      return `the name "${t.text}"`;
    default:
      return `"${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}"`;
  }
}
