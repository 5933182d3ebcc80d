import { ErrorCodes, InvalidMetricError, type StatsError } from '../errors.js';
import type { TagFormat } from '../types.js';
import { describe, read, readError, UNREADABLE } from './describe.js';
import { type SanitizeTables, sanitize, TABLES, utf8 } from './sanitize.js';
import { putString } from './write.js';

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
const KV_TRUE: Readonly<Record<TagFormat, string>> = {
  datadog: '',
  telegraf: '=true',
  graphite: '=true',
  none: '',
};

const EMPTY_TAGS: Readonly<Record<TagFormat, ResolvedTags>> = {
  datadog: { format: 'datadog', map: new Map(), str: '', bytes: 0 },
  telegraf: { format: 'telegraf', map: new Map(), str: '', bytes: 0 },
  graphite: { format: 'graphite', map: new Map(), str: '', bytes: 0 },
  none: { format: 'none', map: new Map(), str: '', bytes: 0 },
};

type Report = (err: StatsError) => void;
const ignore: Report = () => {};

/** Map entries through the engine's own iterator (not a `Symbol.iterator` the caller may have replaced). */
const mapEntries = Map.prototype.entries;
const hasOwn = Object.prototype.hasOwnProperty;

function badTag(tag: unknown, report: Report): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: tag ${describe(tag)} is not a string or a key/value pair; dropped`,
      tag,
    ),
  );
}

function badValue(key: unknown, value: unknown, report: Report): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: tag ${describe(key)}=${describe(value)} is not a string key with a string, number or boolean value; dropped`,
      key,
    ),
  );
}

/** `tags` is not one of the shapes tags come in (a string, a number, a function...): none of it is read. */
function notTags(tags: unknown, report: Report): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: tags must be an object, a Map or an array of strings, got ${typeof tags === 'object' || typeof tags === 'function' ? describe(tags) : `${typeof tags} ${describe(tags)}`}; dropped`,
      tags,
    ),
  );
}

/** Reading the tags threw (a getter, a Proxy trap, a revoked Proxy): all of them are dropped. */
export function unreadable(tags: unknown, cause: unknown, report: Report): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      'statskit: reading the tags threw (a getter or a Proxy); all of them dropped',
      tags,
      { cause },
    ),
  );
}

/** Tags (`what`, e.g. `opts.tags`) of metric `name` whose reading threw: reported; the metric goes without them. */
export function tagsUnreadable(report: Report, name: unknown, what: string, cause: unknown): void {
  report(
    new InvalidMetricError(
      ErrorCodes.INVALID_TAG,
      `statskit: metric ${describe(name)}: reading ${what} threw; sent without them`,
      name,
      { cause },
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

/**
 * Where an array tag splits into key and value: the first `:`; with Telegraf and Graphite (`eq`), the
 * first `:` or `=` — those formats write `k=v` on the wire, so `['env=prod']` is `env` = `prod` there, as
 * hot-shots and Telegraf users write it (it was the flag `env_prod=true`). -1: a flag.
 */
function tagSplit(tag: string, eq: boolean): number {
  const colon = tag.indexOf(':');
  if (!eq) return colon;
  const equals = tag.indexOf('=');
  return equals !== -1 && (colon === -1 || equals < colon) ? equals : colon;
}

/** Telegraf and Graphite write tags as `k=v`: an array tag may be written so too. */
function eqSeparates(format: TagFormat | undefined): boolean {
  return format === 'telegraf' || format === 'graphite';
}

/**
 * Call `fn` with each tag of `tags` as the caller wrote it: `'k:v'` / `'flag'` strings of an array, the
 * entries of a Map, or an object's **own** enumerable keys (never inherited ones, e.g. keys added to
 * `Object.prototype`). A `false`, `null` or `undefined` value is skipped; other bad entries and values
 * that are not tags at all are reported. Throws whatever a getter or Proxy trap throws.
 */
function eachTag(
  tags: unknown,
  report: Report,
  fn: (key: string, value: string | number | true) => void,
  eq = false,
): void {
  if (typeof tags !== 'object' || tags === null) {
    notTags(tags, report);
    return;
  }
  if (Array.isArray(tags)) {
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as unknown;
      if (typeof tag !== 'string' || tag.length === 0) {
        badTag(tag, report);
        continue;
      }
      const at = tagSplit(tag, eq);
      if (at === -1) fn(tag, true);
      else fn(tag.slice(0, at), tag.slice(at + 1));
    }
    return;
  }
  const entry = (k: unknown, v: unknown): void => {
    if (v === false || v === undefined || v === null) return;
    if (typeof k !== 'string' || (v !== true && typeof v !== 'string' && typeof v !== 'number')) {
      badValue(k, v, report);
      return;
    }
    fn(k, v);
  };
  if (tags instanceof Map) {
    for (const [k, v] of mapEntries.call(tags)) entry(k, v);
    return;
  }
  const keys = Object.keys(tags);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    entry(k, (tags as Record<string, unknown>)[k]);
  }
}

/** Add `tags` (sanitized) to `map`; later keys overwrite earlier ones. Nothing is added if reading throws. */
function addTo(map: Map<string, string | true>, tags: unknown, format: TagFormat, report: Report): void {
  const t = TABLES[format];
  const added: [string, string | true][] = [];
  try {
    eachTag(
      tags,
      report,
      (k, v) => {
        const key = sanitize(k, t.tagKey);
        const value = v === true ? true : sanitize(typeof v === 'string' ? v : `${v}`, t.tagValue);
        if (!emptyTag(key, value, format, report)) added.push([key, value]);
      },
      eqSeparates(format),
    );
  } catch (err) {
    unreadable(tags, err, report);
    return;
  }
  for (const [k, v] of added) map.set(k, v);
}

/**
 * `a` then `b` (which wins on the same key) as one Map of the caller's keys and values, read once and
 * safely: what is not a tag is reported here; tags that cannot be read are dropped (reported).
 */
export function mergeTags(
  a: unknown,
  b: unknown,
  report: Report,
  format?: TagFormat,
): Map<string, string | number | true> {
  const out = new Map<string, string | number | true>();
  for (const tags of [a, b]) {
    if (tags === undefined) continue;
    const read = new Map<string, string | number | true>();
    try {
      eachTag(
        tags,
        report,
        (k, v) => {
          read.set(k, v);
        },
        eqSeparates(format),
      );
    } catch (err) {
      unreadable(tags, err, report);
      continue;
    }
    for (const [k, v] of read) out.set(k, v);
  }
  return out;
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

/**
 * Resolve tags once (constructor, child()): sanitize, de-duplicate keys, precompute the wire string.
 * Anything that is not tags, and tags whose reading throws, are reported and left out.
 */
export function resolveTags(
  tags: unknown,
  format: TagFormat,
  report: Report,
  base?: ResolvedTags,
): ResolvedTags {
  if (tags === undefined) return base ?? EMPTY_TAGS[format];
  const map = new Map(base?.map);
  addTo(map, tags, format, report);
  return serialize(map, format);
}

/**
 * What {@link TagWriter.append} returns with `asString: false` when the tags are only in its pieces
 * (write them with {@link TagWriter.write}): the call's tags are then never joined into a string at all.
 */
const CALL_TAGS = '\u0000call tags\u0000';

/**
 * Per-call tags on top of a client's precomputed ones. One per core (a client and its children share
 * it): the pieces of the last call's tags are kept here and reused across calls (no allocation per
 * call), and no other client in the process touches them.
 */
export class TagWriter {
  /** The UTF-8 byte length of the string {@link append} last returned. */
  bytes = 0;
  /** The call's own tags as they are appended: their bytes, how many, whether one overrides a client tag. */
  #accBytes = 0;
  #n = 0;
  #overlap = false;
  /**
   * The pieces of the string {@link append} last returned, when it built one from the call's tags
   * (`#count > 0`): `#head` (the client's tags and a separator, or the tag section's lead), then
   * `#list[0..#count)`. {@link write} writes them without flattening that string's rope.
   */
  #head = '';
  #sep = '';
  readonly #list: string[] = [];
  #count = 0;
  /** Bumped by every {@link append}: a change while one runs means it was re-entered (from onError). */
  #gen = 0;

  /**
   * The client's tags (`base`) plus the call's `tags`. Fast path: when no call tag overrides a client
   * tag, the result is the precomputed string plus the call's own part. On a shared key the call wins,
   * and the set is rebuilt. Sets {@link bytes}.
   */
  append(base: ResolvedTags, tags: unknown, report: Report, asString = true): string {
    const format = base.format;
    if (format === 'none') {
      if (typeof tags !== 'object' || tags === null) notTags(tags, report);
      this.#count = 0;
      this.bytes = 0;
      return '';
    }
    const t = TABLES[format];
    const eq = eqSeparates(format);
    // A report below runs the user's onError, which may send a tagged metric itself (through this client
    // or one sharing its core) and so reuse these pieces: then this call's tags are read again, quietly
    // (each problem was reported once).
    const gen = ++this.#gen;
    this.#accBytes = 0;
    this.#n = 0;
    this.#overlap = false;
    this.#count = 0;
    try {
      if (Array.isArray(tags)) {
        for (let i = 0; i < tags.length; i++) {
          const tag = tags[i] as unknown;
          if (typeof tag !== 'string' || tag.length === 0) {
            badTag(tag, report);
            continue;
          }
          const at = tagSplit(tag, eq);
          const key = sanitize(at === -1 ? tag : tag.slice(0, at), t.tagKey);
          const keyBytes = utf8.bytes;
          if (at === -1) this.#appendOne(base, key, keyBytes, true, 0, report);
          else
            this.#appendOne(base, key, keyBytes, sanitize(tag.slice(at + 1), t.tagValue), utf8.bytes, report);
        }
      } else if (typeof tags !== 'object' || tags === null) {
        notTags(tags, report);
      } else if (tags instanceof Map) {
        for (const [k, v] of mapEntries.call(tags)) this.#appendEntry(base, t, k, v, report);
      } else {
        // own enumerable keys only: a key added to Object.prototype is not a tag of every line. (for…in
        // with hasOwnProperty is what V8 optimizes best: it checks the enum cache, Object.keys allocates)
        for (const k in tags) {
          if (hasOwn.call(tags, k))
            this.#appendEntry(base, t, k, (tags as Record<string, unknown>)[k], report);
        }
      }
    } catch (err) {
      // a getter or Proxy trap threw: none of the call's tags are used (the metric still goes out)
      this.#n = 0;
      this.#overlap = false;
      this.#count = 0;
      unreadable(tags, err, report);
    }
    if (this.#gen !== gen) return this.#reread(base, tags, report, asString);
    if (this.#n === 0) {
      this.#count = 0;
      this.bytes = base.bytes;
      return base.str;
    }
    if (this.#overlap) {
      this.#count = 0;
      const merged = resolveTags(tags, format, ignore, base); // already reported above
      this.bytes = merged.bytes;
      return merged.str;
    }
    if (base.str === '') {
      this.#head = LEAD[format];
      this.#sep = '';
      this.bytes = LEAD[format].length + this.#accBytes;
      return asString ? this.#join() : CALL_TAGS;
    }
    this.#head = base.str;
    this.#sep = SEP[format];
    this.bytes = base.bytes + 1 + this.#accBytes;
    return asString ? this.#join() : CALL_TAGS;
  }

  /**
   * Write the tag string {@link append} just returned (`returned`, `bytes` long) into `buf` at `off`;
   * returns the offset after it. Should the pieces not add up to it (an onError callback that sent a
   * tagged metric while the tags were being read reuses them), the string itself is written, or -1 is
   * returned when there is none ({@link CALL_TAGS}).
   */
  write(buf: Buffer, off: number, returned: string, bytes: number): number {
    const count = this.#count;
    if (count === 0) return putString(buf, off, returned);
    let o = putString(buf, off, this.#head);
    o = putString(buf, o, this.#sep);
    const list = this.#list;
    for (let i = 0; i < count; i++) o = putString(buf, o, list[i] as string);
    if (o - off === bytes) return o;
    return returned === CALL_TAGS ? -1 : putString(buf, off, returned);
  }

  /**
   * {@link append} was re-entered while it read `tags`: read them again, quietly (each problem was
   * reported once). Re-entered again (a tag getter that sends a tagged metric through this core), they
   * are rebuilt from a fresh map instead, which nothing re-entering can disturb: no unbounded recursion.
   */
  #reread(base: ResolvedTags, tags: unknown, report: Report, asString: boolean): string {
    if (report !== ignore) return this.append(base, tags, ignore, asString);
    const merged = resolveTags(tags, base.format, ignore, base);
    this.#count = 0; // after reading: a call made meanwhile left its own pieces
    this.bytes = merged.bytes;
    return merged.str;
  }

  #join(): string {
    let s = this.#head + this.#sep;
    const list = this.#list;
    for (let i = 0; i < this.#count; i++) s += list[i] as string;
    return s;
  }

  /** Append one sanitized tag unless it is empty (reported). */
  #appendOne(
    base: ResolvedTags,
    key: string,
    keyBytes: number,
    value: string | true,
    valueBytes: number,
    report: Report,
  ): void {
    const format = base.format;
    if (emptyTag(key, value, format, report)) return;
    if (base.map.has(key)) this.#overlap = true;
    let bytes = keyBytes;
    const list = this.#list;
    if (this.#n > 0) list[this.#count++] = SEP[format];
    list[this.#count++] = key;
    if (value !== true) {
      bytes += 1 + valueBytes;
      list[this.#count++] = KV[format];
      list[this.#count++] = value;
    } else if (format !== 'datadog') {
      bytes += 5;
      list[this.#count++] = KV_TRUE[format]; // Telegraf and Graphite need a value
    }
    this.#accBytes += this.#n === 0 ? bytes : 1 + bytes;
    this.#n++;
  }

  /** Append one key/value entry of an object or Map of tags, or report it. */
  #appendEntry(base: ResolvedTags, t: SanitizeTables, k: unknown, v: unknown, report: Report): void {
    if (v === false || v === undefined || v === null) return;
    if (typeof k !== 'string' || (v !== true && typeof v !== 'string' && typeof v !== 'number')) {
      badValue(k, v, report);
      return;
    }
    const key = sanitize(k, t.tagKey);
    const keyBytes = utf8.bytes;
    if (v === true) this.#appendOne(base, key, keyBytes, true, 0, report);
    else
      this.#appendOne(
        base,
        key,
        keyBytes,
        sanitize(typeof v === 'string' ? v : `${v}`, t.tagValue),
        utf8.bytes,
        report,
      );
  }
}

/**
 * `opts.tags` of an event or check, read once: a getter that throws is reported (the tags are left out,
 * the event still goes).
 */
export function eventTags(opts: unknown, name: unknown, report: Report): unknown {
  if (opts === undefined || opts === null) return undefined;
  const tags = read(opts, 'tags');
  if (tags !== UNREADABLE) return tags;
  tagsUnreadable(report, name, 'opts.tags', readError.cause);
  return undefined;
}

/** The client's tags (`base`) plus `tags`, as a DogStatsD `|#…` suffix whatever the client's tag format. */
export function dogTags(base: ResolvedTags, tags: unknown, report: Report, writer: TagWriter): string {
  if (base.format === 'none') return '';
  let resolved = base;
  if (base.format !== 'datadog') {
    const plain: Record<string, string | true> = {};
    for (const [k, v] of base.map) plain[k] = v;
    resolved = resolveTags(plain, 'datadog', report);
  }
  return tags === undefined ? resolved.str : writer.append(resolved, tags, report);
}
