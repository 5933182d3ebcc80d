import type { ExpressLayer, LayerPath, RegexpKey } from './internal-types.js';

/**
 * The pattern a mount layer (`use(path, fn)`) was registered with, read once when the layer is hooked:
 * - router >= 2.3 (Express 5): `layer.rawPath`;
 * - Express 4: rebuilt from the regexp path-to-regexp 0.1 made of it (the string itself is not kept);
 * - router 2.0–2.2 (Express 5): `layer.path`, which holds the pattern until the layer first matches.
 * `undefined` when none of these applies: the pattern is then rebuilt per request from the matched path
 * and params ({@link matchedPattern}).
 */
export function layerPattern(layer: ExpressLayer): LayerPath | undefined {
  if ('rawPath' in layer && layer.rawPath !== undefined) return layer.rawPath;
  const re = layer.regexp;
  if (re instanceof RegExp) return expressFourPattern(re, layer.keys ?? []);
  const path = layer.path;
  if (
    layer.params === undefined &&
    (typeof path === 'string' || path instanceof RegExp || Array.isArray(path))
  ) {
    return path as LayerPath;
  }
  return undefined;
}

/** What path-to-regexp 0.1 appends to a non-ending (`use`) layer. */
const V4_TAIL = '(?=\\/|$)';

/** Index of the `)` closing the group opened at `open`, or -1. Skips escapes and character classes. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < s.length && s[i] !== ']'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Capturing groups in a regexp source fragment. */
function captures(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < s.length && s[i] !== ']'; i++) if (s[i] === '\\') i++;
    } else if (c === '(' && (s[i + 1] !== '?' || (s[i + 2] === '<' && s[i + 3] !== '=' && s[i + 3] !== '!')))
      n++;
  }
  return n;
}

/** The first top-level alternative of a regexp source (path arrays are joined with `|`). */
function firstAlternative(s: string): string {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < s.length && s[i] !== ']'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return s.slice(0, i);
  }
  return s;
}

function keyName(key: RegexpKey | string | undefined): string {
  if (key === undefined) return '';
  return typeof key === 'string' ? key : String(key.name);
}

/**
 * Express 4 keeps only the regexp of a `use()` path. path-to-regexp 0.1 builds it in a fixed shape
 * (`^` + literal parts with `\/` + one `(?:\/([^/]+?))` group per `:param` + `\/?(?=\/|$)`), so the
 * pattern can be read back once per layer. A RegExp the user passed (or anything unexpected) is returned
 * as is and keyed by its source.
 */
export function expressFourPattern(
  re: RegExp & { fast_slash?: boolean; fast_star?: boolean },
  keys: readonly (RegexpKey | string)[],
): LayerPath {
  if (re.fast_slash === true) return '/';
  if (re.fast_star === true) return '*';
  const alt = firstAlternative(re.source);
  if (!alt.startsWith('^') || !alt.endsWith(V4_TAIL)) return re;
  let body = alt.slice(1, -V4_TAIL.length);
  if (body.endsWith('\\/?')) body = body.slice(0, -3);
  let out = '';
  let k = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\') {
      out += body[i + 1] ?? '';
      i++;
      continue;
    }
    if (c !== '(') {
      out += c;
      continue;
    }
    const end = closingParen(body, i);
    if (end === -1) return re;
    const inner = body.slice(i + 1, end);
    const optional = body[end + 1] === '?';
    if (inner.startsWith('?:')) {
      const group = inner.slice(2);
      const n = captures(group);
      if (n === 0) out += `(${inner})`;
      else {
        const lead = group.startsWith('\\/') ? '/' : group.startsWith('\\.') ? '.' : '';
        out += `${lead}:${keyName(keys[k])}${optional ? '?' : ''}`;
        k += n;
      }
    } else if (inner === '.*') {
      out += '*';
      k++;
    } else {
      out += `(${inner})`;
      k += 1 + captures(inner);
    }
    i = optional ? end + 1 : end;
  }
  return out === '' ? '/' : out;
}

/** Matched values of patterns seen per layer, for the per-request fallback; bounded. */
const MAX_MATCHED_PATTERNS = 64;
const matchedCache = new WeakMap<ExpressLayer, Map<string, string>>();

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Fallback for a layer whose pattern was lost (router 2.0–2.2 after its first match): the matched path
 * with each segment that equals a param value written as `:name` (`*name` for a wildcard). Bounded per
 * layer: past 64 distinct results the layer is reported as `/*`.
 */
export function matchedPattern(layer: ExpressLayer): string {
  const matched = typeof layer.path === 'string' ? layer.path : '';
  const params = layer.params ?? {};
  const names = Object.keys(params);
  const segments = matched.split('/');
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg === '') continue;
    const value = decode(seg);
    let written = seg;
    for (const name of names) {
      const v = params[name];
      if (v === value) {
        written = `:${name}`;
        break;
      }
      if (Array.isArray(v) && v.length > 0 && v[0] === value) {
        written = `*${name}`;
        i += v.length - 1;
        break;
      }
    }
    out += `/${written}`;
  }
  let seen = matchedCache.get(layer);
  if (seen === undefined) {
    seen = new Map();
    matchedCache.set(layer, seen);
  }
  const cached = seen.get(out);
  if (cached !== undefined) return cached;
  if (seen.size >= MAX_MATCHED_PATTERNS) return '/*';
  seen.set(out, out);
  return out;
}
