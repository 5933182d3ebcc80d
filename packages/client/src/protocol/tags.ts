import { ErrorCodes, InvalidMetricError, type StatsError } from '../errors.js';
import type { TagFormat, Tags } from '../types.js';
import { sanitize, TABLES, utf8 } from './sanitize.js';

/** A tag set resolved once: sanitized keys in order, and its wire string precomputed. */
export interface ResolvedTags {
  readonly format: TagFormat;
  /** Sanitized key → sanitized value, or `true` for a flag tag. */
  readonly map: ReadonlyMap<string, string | true>;
  /** Wire form including its leading separator (`|#a:b`, `,a=b`, `;a=b`), or '' when empty. */
  readonly str: string;
  /** UTF-8 bytes of `str`. */
  readonly bytes: number;
}

/** Leading separator before the first tag, and between tags, per format. */
const LEAD: Readonly<Record<TagFormat, string>> = { datadog: '|#', telegraf: ',', graphite: ';', none: '' };
const SEP: Readonly<Record<TagFormat, string>> = { datadog: ',', telegraf: ',', graphite: ';', none: '' };
const KV: Readonly<Record<TagFormat, string>> = { datadog: ':', telegraf: '=', graphite: '=', none: '' };

export const EMPTY_TAGS: Readonly<Record<TagFormat, ResolvedTags>> = {
  datadog: { format: 'datadog', map: new Map(), str: '', bytes: 0 },
  telegraf: { format: 'telegraf', map: new Map(), str: '', bytes: 0 },
  graphite: { format: 'graphite', map: new Map(), str: '', bytes: 0 },
  none: { format: 'none', map: new Map(), str: '', bytes: 0 },
};

type Report = (err: StatsError) => void;
const ignore: Report = () => {};

function badTag(tag: unknown, report: Report): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: tag ${String(tag)} is not a string or a key/value pair; dropped`,
      tag,
    ),
  );
}

/** Add `tags` (sanitized) to `map`; later keys overwrite earlier ones. */
function addTo(map: Map<string, string | true>, tags: Tags, format: TagFormat, report: Report): void {
  const t = TABLES[format];
  if (Array.isArray(tags)) {
    for (const tag of tags as readonly unknown[]) {
      if (typeof tag !== 'string' || tag.length === 0) {
        badTag(tag, report);
        continue;
      }
      const i = tag.indexOf(':');
      if (i === -1) map.set(sanitize(tag, t.tagKey), true);
      else map.set(sanitize(tag.slice(0, i), t.tagKey), sanitize(tag.slice(i + 1), t.tagValue));
    }
    return;
  }
  for (const key of Object.keys(tags)) {
    const v = (tags as Record<string, unknown>)[key];
    if (v === true) map.set(sanitize(key, t.tagKey), true);
    else if (v === false || v === undefined || v === null) continue;
    else if (typeof v === 'string' || typeof v === 'number') {
      map.set(sanitize(key, t.tagKey), sanitize(typeof v === 'string' ? v : String(v), t.tagValue));
    } else badTag(`${key}=${String(v)}`, report);
  }
}

/** Serialize a resolved map to its wire form, counting bytes. */
function serialize(map: ReadonlyMap<string, string | true>, format: TagFormat): ResolvedTags {
  if (format === 'none' || map.size === 0) return EMPTY_TAGS[format];
  const kv = KV[format];
  const sep = SEP[format];
  let str = LEAD[format];
  let first = true;
  for (const [k, v] of map) {
    if (!first) str += sep;
    first = false;
    // Telegraf and Graphite need a value; a flag tag becomes `flag=true` there.
    str += v === true ? (format === 'datadog' ? k : `${k}${kv}true`) : k + kv + v;
  }
  sanitize(str, TABLES.none.tagKey); // only to count bytes: already clean
  return { format, map, str, bytes: utf8.bytes };
}

/** Resolve tags once (constructor, child()): sanitize, de-duplicate keys, precompute the wire string. */
export function resolveTags(
  tags: Tags | undefined,
  format: TagFormat,
  report: Report,
  base?: ResolvedTags,
): ResolvedTags {
  if (tags === undefined) return base ?? EMPTY_TAGS[format];
  const map = new Map(base?.map);
  addTo(map, tags, format, report);
  return serialize(map, format);
}

/** Set by {@link appendCallTags}: the UTF-8 byte length of the string it returned. */
export const callTagBytes = { bytes: 0 };

/**
 * Per-call tags on top of the client's precomputed ones. Fast path: when no call tag overrides a
 * client tag, the result is the precomputed string plus the call's own part. On a shared key the call
 * wins, and the set is rebuilt.
 */
export function appendCallTags(base: ResolvedTags, tags: Tags, report: Report): string {
  const format = base.format;
  if (format === 'none') {
    callTagBytes.bytes = 0;
    return '';
  }
  const t = TABLES[format];
  const kv = KV[format];
  const sep = SEP[format];
  let part = '';
  let bytes = 0;
  let n = 0;
  let overlap = false;
  if (Array.isArray(tags)) {
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as unknown;
      if (typeof tag !== 'string' || tag.length === 0) {
        badTag(tag, report);
        continue;
      }
      const at = tag.indexOf(':');
      const key = sanitize(at === -1 ? tag : tag.slice(0, at), t.tagKey);
      let keyBytes = utf8.bytes;
      if (base.map.has(key)) overlap = true;
      let entry: string;
      if (at === -1) {
        entry = format === 'datadog' ? key : `${key}${kv}true`;
        if (format !== 'datadog') keyBytes += 5;
      } else {
        entry = key + kv + sanitize(tag.slice(at + 1), t.tagValue);
        keyBytes += 1 + utf8.bytes;
      }
      part = n === 0 ? entry : part + sep + entry;
      bytes += n === 0 ? keyBytes : keyBytes + 1;
      n++;
    }
  } else {
    for (const k in tags) {
      const v = (tags as Record<string, unknown>)[k];
      if (v === false || v === undefined || v === null) continue;
      const key = sanitize(k, t.tagKey);
      let entryBytes = utf8.bytes;
      if (base.map.has(key)) overlap = true;
      let entry: string;
      if (v === true) {
        entry = format === 'datadog' ? key : `${key}${kv}true`;
        if (format !== 'datadog') entryBytes += 5;
      } else if (typeof v === 'string' || typeof v === 'number') {
        entry = key + kv + sanitize(typeof v === 'string' ? v : String(v), t.tagValue);
        entryBytes += 1 + utf8.bytes;
      } else {
        badTag(`${k}=${String(v)}`, report);
        continue;
      }
      part = n === 0 ? entry : part + sep + entry;
      bytes += n === 0 ? entryBytes : entryBytes + 1;
      n++;
    }
  }
  if (n === 0) {
    callTagBytes.bytes = base.bytes;
    return base.str;
  }
  if (overlap) {
    const merged = resolveTags(tags, format, ignore, base); // already reported above
    callTagBytes.bytes = merged.bytes;
    return merged.str;
  }
  if (base.str === '') {
    callTagBytes.bytes = LEAD[format].length + bytes;
    return LEAD[format] + part;
  }
  callTagBytes.bytes = base.bytes + 1 + bytes;
  return base.str + sep + part;
}
