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

/**
 * An empty key is never valid, and Telegraf/Graphite reject `k=` (an empty value): such a tag is
 * dropped and reported instead of making the whole line malformed.
 */
function emptyTag(key: string, value: string | true, format: TagFormat, report: Report): boolean {
  if (key !== '' && (value !== '' || format === 'datadog')) return false;
  const tag = value === true ? key : `${key}:${value}`;
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: tag "${tag}" has an empty ${key === '' ? 'key' : 'value'} after sanitizing; dropped`,
      tag,
    ),
  );
  return true;
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
      const key = sanitize(i === -1 ? tag : tag.slice(0, i), t.tagKey);
      const value = i === -1 ? true : sanitize(tag.slice(i + 1), t.tagValue);
      if (!emptyTag(key, value, format, report)) map.set(key, value);
    }
    return;
  }
  for (const k of Object.keys(tags)) {
    const v = (tags as Record<string, unknown>)[k];
    if (v === false || v === undefined || v === null) continue;
    if (v !== true && typeof v !== 'string' && typeof v !== 'number') {
      badTag(`${k}=${String(v)}`, report);
      continue;
    }
    const key = sanitize(k, t.tagKey);
    const value = v === true ? true : sanitize(typeof v === 'string' ? v : String(v), t.tagValue);
    if (!emptyTag(key, value, format, report)) map.set(key, value);
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

/** The call's own tags as they are appended, reused across calls (no allocation per call). */
const acc = { part: '', bytes: 0, n: 0, overlap: false };

/** Append one sanitized tag to `acc` unless it is empty (reported). */
function appendOne(
  base: ResolvedTags,
  key: string,
  keyBytes: number,
  value: string | true,
  valueBytes: number,
  report: Report,
): void {
  const format = base.format;
  if (emptyTag(key, value, format, report)) return;
  if (base.map.has(key)) acc.overlap = true;
  let entry: string;
  let bytes = keyBytes;
  if (value !== true) {
    entry = key + KV[format] + value;
    bytes += 1 + valueBytes;
  } else if (format === 'datadog') entry = key;
  else {
    entry = `${key}${KV[format]}true`; // Telegraf and Graphite need a value
    bytes += 5;
  }
  if (acc.n === 0) {
    acc.part = entry;
    acc.bytes = bytes;
  } else {
    acc.part = acc.part + SEP[format] + entry;
    acc.bytes += 1 + bytes;
  }
  acc.n++;
}

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
  acc.part = '';
  acc.bytes = 0;
  acc.n = 0;
  acc.overlap = false;
  if (Array.isArray(tags)) {
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as unknown;
      if (typeof tag !== 'string' || tag.length === 0) {
        badTag(tag, report);
        continue;
      }
      const at = tag.indexOf(':');
      const key = sanitize(at === -1 ? tag : tag.slice(0, at), t.tagKey);
      const keyBytes = utf8.bytes;
      if (at === -1) appendOne(base, key, keyBytes, true, 0, report);
      else appendOne(base, key, keyBytes, sanitize(tag.slice(at + 1), t.tagValue), utf8.bytes, report);
    }
  } else {
    for (const k in tags) {
      const v = (tags as Record<string, unknown>)[k];
      if (v === false || v === undefined || v === null) continue;
      if (v !== true && typeof v !== 'string' && typeof v !== 'number') {
        badTag(`${k}=${String(v)}`, report);
        continue;
      }
      const key = sanitize(k, t.tagKey);
      const keyBytes = utf8.bytes;
      if (v === true) appendOne(base, key, keyBytes, true, 0, report);
      else
        appendOne(
          base,
          key,
          keyBytes,
          sanitize(typeof v === 'string' ? v : String(v), t.tagValue),
          utf8.bytes,
          report,
        );
    }
  }
  if (acc.n === 0) {
    callTagBytes.bytes = base.bytes;
    return base.str;
  }
  if (acc.overlap) {
    const merged = resolveTags(tags, format, ignore, base); // already reported above
    callTagBytes.bytes = merged.bytes;
    return merged.str;
  }
  if (base.str === '') {
    callTagBytes.bytes = LEAD[format].length + acc.bytes;
    return LEAD[format] + acc.part;
  }
  callTagBytes.bytes = base.bytes + 1 + acc.bytes;
  return base.str + SEP[format] + acc.part;
}
