/**
 * Route keys: a route template written as graphite-safe name segments. Computed once per template (the
 * recorder caches them), so this file favours clarity over speed; it uses no regex all the same.
 *
 * Rules (docs/metrics.md, "Route keys"):
 * - `/` separates segments, written `.`; empty segments (leading, trailing, doubled slashes) are dropped;
 * - `:` (a parameter) and `*` (a wildcard) are written `_`, so `/users/:id` → `users._id`;
 * - `{` and `}` (optional groups) are dropped: `/files{/:name}` → `files._name`;
 * - letters, digits, `-` and `_` are kept; anything else becomes `_`; runs of `_` collapse to one and a
 *   segment's trailing `_` is dropped (`:id?` → `_id`);
 * - nothing left → `root`;
 * - a RegExp route is keyed by its source without the `^`/`$` anchors and with `\/` read as `/`;
 * - keys longer than 200 characters are cut there.
 */

/** Requests that matched no route. */
export const UNMATCHED_ROUTE_KEY = '__unmatched__';
/** Routes beyond `maxRoutes`. */
export const OVERFLOW_ROUTE_KEY = '__overflow__';
/** The key of `/`. */
export const ROOT_ROUTE_KEY = 'root';

const MAX_KEY_LENGTH = 200;

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2d // -
  );
}

/** A RegExp route as a template string: its source, anchors dropped, `\/` read as `/`. */
export function regexpTemplate(re: RegExp): string {
  let s = re.source;
  if (s.startsWith('^')) s = s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1);
  return s.split('\\/').join('/');
}

/**
 * The route key of a template (`/users/:id` → `users._id`), graphite-safe: only `[A-Za-z0-9_-]` in
 * `.`-separated segments.
 *
 * @example
 * ```ts
 * encodeRouteKey('/api/v1/users/:id'); // 'api.v1.users._id'
 * encodeRouteKey('/');                 // 'root'
 * encodeRouteKey(/^\/files\/(.*)$/);   // 'files._'
 * ```
 */
export function encodeRouteKey(template: string | RegExp): string {
  const src = typeof template === 'string' ? template : regexpTemplate(template);
  let key = '';
  let segment = '';
  const flush = (): void => {
    if (segment.length > 1 && segment.endsWith('_')) segment = segment.slice(0, -1);
    if (segment !== '') key = key === '' ? segment : `${key}.${segment}`;
    segment = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x2f /* / */) flush();
    else if (c === 0x7b /* { */ || c === 0x7d /* } */) continue;
    else if (isWordChar(c)) segment += src[i];
    else if (!segment.endsWith('_')) segment += '_';
    if (key.length > MAX_KEY_LENGTH) break;
  }
  flush();
  if (key === '') return ROOT_ROUTE_KEY;
  if (key.length <= MAX_KEY_LENGTH) return key;
  key = key.slice(0, MAX_KEY_LENGTH);
  return key.endsWith('.') ? key.slice(0, -1) : key;
}

/**
 * One name segment (a context kind such as `db`): the segment rules of {@link encodeRouteKey}, with `/`
 * and `.` written `_` too. Returns `''` when nothing is left.
 */
export function encodeSegment(s: string): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < 64; i++) {
    const c = s.charCodeAt(i);
    if (isWordChar(c)) out += s[i];
    else if (!out.endsWith('_')) out += '_';
  }
  return out.length > 1 && out.endsWith('_') ? out.slice(0, -1) : out;
}
