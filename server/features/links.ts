/**
 * Link building for OGC API responses. Pure. Paging links keep every query parameter the client sent (bbox,
 * filter, crs ...) and change only `offset`: MapServer 8.0 dropped bbox from `next`, and GDAL then paged through
 * the whole layer.
 */

/** An OGC API link. */
export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
  templated?: boolean;
}

/** A URL of this API: base (no trailing slash) + path + query. */
export function apiUrl(base: string, path: string, query?: URLSearchParams): string {
  const q = query?.toString();
  return `${base}${path}${q ? `?${q}` : ''}`;
}

/** The request's query with `name` set to `value` (or removed for null), other parameters untouched and in order. */
export function withParam(query: URLSearchParams, name: string, value: string | null): URLSearchParams {
  const next = new URLSearchParams(query);
  if (value === null) next.delete(name);
  else next.set(name, value);
  return next;
}

/** What the paging links of a page depend on. */
export interface PageState {
  offset: number;
  limit: number;
  numberReturned: number;
  /** null when only estimated: then a full page means there may be more. */
  numberMatchedExact: number | null;
}

/** next (when more features may follow) and prev (when not on the first page), each with every parameter kept. */
export function pageLinks(base: string, path: string, query: URLSearchParams, page: PageState, type: string): Link[] {
  const links: Link[] = [];
  const more =
    page.numberReturned === page.limit &&
    (page.numberMatchedExact === null || page.offset + page.numberReturned < page.numberMatchedExact);
  if (more) {
    links.push({
      href: apiUrl(base, path, withParam(query, 'offset', String(page.offset + page.limit))),
      rel: 'next',
      type,
      title: 'next page',
    });
  }
  if (page.offset > 0) {
    const prev = Math.max(0, page.offset - page.limit);
    links.push({
      href: apiUrl(base, path, withParam(query, 'offset', prev === 0 ? null : String(prev))),
      rel: 'prev',
      type,
      title: 'previous page',
    });
  }
  return links;
}

/** self + alternates of a resource offered as several formats (`f=`), the current one as self. */
export function formatLinks(
  base: string,
  path: string,
  query: URLSearchParams,
  current: string,
  formats: ReadonlyArray<{ f: string; type: string; title: string }>,
): Link[] {
  return formats.map((fmt) => ({
    href: apiUrl(base, path, withParam(query, 'f', fmt.f === current && !query.has('f') ? null : fmt.f)),
    rel: fmt.f === current ? 'self' : 'alternate',
    type: fmt.type,
    title: fmt.title,
  }));
}
