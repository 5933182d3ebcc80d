import type { TagFormat } from '../types.js';

/**
 * Names and tags are cleaned with one loop over char codes and a 128-entry table per role and format:
 * no regex, no allocation when the input is already clean (the common case).
 * The same pass counts UTF-8 bytes, so the batcher never calls Buffer.byteLength on the hot path.
 */

/** What replaces a reserved character. */
export const REPLACEMENT = '_';

/** Characters that would end, split or re-type a statsd line, in every format. */
const RESERVED = '\n\r:|@#';

/**
 * The whitespace outside ASCII that Python's `str.split()` and `str.splitlines()` split on (U+0085,
 * U+00A0, U+1680, U+2000–200A, U+2028, U+2029, U+202F, U+205F, U+3000): carbon 1.1 decodes each
 * plaintext line as UTF-8 and splits it with them, so one inside a name or a tag value splits the line
 * (dropped as invalid) — or, in a datagram, starts a new one. The ASCII ones (U+0009–000D, U+001C–001F,
 * U+0020) are control characters or the space, flagged anyway.
 */
const UNICODE_SPACES = [
  0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

/**
 * A table for {@link sanitize}: control characters, `reserved` (default: what ends or splits a statsd
 * line in every format, `\n\r:|@#`) and `extra` are flagged; `wide` also flags {@link UNICODE_SPACES}
 * (the table then reaches U+3000: {@link sanitize} looks a non-ASCII code unit up only when it is that
 * wide).
 */
export function table(extra: string, reserved = RESERVED, wide = false): Uint8Array {
  const t = new Uint8Array(wide ? 0x3001 : 128);
  for (let c = 0; c < 0x20; c++) t[c] = 1; // control characters, including \n and \r
  t[0x7f] = 1;
  for (const ch of reserved + extra) t[ch.charCodeAt(0)] = 1;
  if (wide) for (const c of UNICODE_SPACES) t[c] = 1;
  return t;
}

/** Reserved-character tables for one tag format. */
export interface SanitizeTables {
  /** Metric names, the prefix and the suffix. */
  readonly name: Uint8Array;
  readonly tagKey: Uint8Array;
  readonly tagValue: Uint8Array;
  /** Set members: a value, so only what would end or split the line (or the tags in the name). */
  readonly member: Uint8Array;
}

/**
 * Graphite stores an untagged name as a file path (`/` makes a directory, so `a/b.c` and `a.b.c` are the
 * same series), carbon splits its plaintext lines on whitespace, reads `name{k="v"}` as OpenMetrics, and
 * graphite-web's target grammar reads `(){},='"\` as syntax and `*?[]` as wildcards: a name holding any
 * of them cannot be stored or queried as written.
 */
const GRAPHITE_PATH = '/\\(){}[],=\'"*?';

/**
 * What each format replaces with `_`, on top of control characters and `\n\r:|@#` (docs/protocol.md
 * has the table). A space is never valid in a name: Datadog and etsy statsd turn it into `_` themselves,
 * carbon and Influx line protocol split on it.
 */
export const TABLES: Readonly<Record<TagFormat, SanitizeTables>> = {
  // DogStatsD: `name:1|c|#k:v,k2`. Tags are split on ',' and key/value on the first ':'.
  datadog: { name: table(' '), tagKey: table(','), tagValue: table(','), member: table('') },
  // Telegraf: `name,k=v:1|c`. Tags ride in the name, separated by ','. Telegraf's statsd input splits the
  // line on every ':' and then on '|', the name on ',', and a tag at its first '=' (the rest, '=' and
  // all, is the value); it keeps spaces, '@' and '#' in tags. So keys lose ':|,=' and values ':|,' only.
  telegraf: {
    name: table(',= '),
    tagKey: table(',=', '\n\r:|'),
    tagValue: table(',', '\n\r:|'),
    member: table(',= '),
  },
  // Graphite 1.1 tagged series: `name;k=v:1|c`. Tag names may not hold ';!^=', values not ';~'
  // (carbon's TaggedSeries.parse). Neither holds '"': carbon reads a path that ends in `"}` and holds a
  // `{` as OpenMetrics (`name{k="v"}`), so a value ending in `"}` could replace every tag of its line.
  // Every whitespace Python splits on is replaced too (carbon splits its lines with it).
  graphite: {
    name: table(`; ${GRAPHITE_PATH}`, RESERVED, true),
    tagKey: table(';!^= ~"', RESERVED, true),
    tagValue: table('; ~"', RESERVED, true),
    member: table('; ', RESERVED, true),
  },
  // Plain etsy statsd (whose default backend is Graphite): the line's own separators, and spaces.
  none: { name: table(' '), tagKey: table(''), tagValue: table(''), member: table('') },
};

/** Set by {@link sanitize}: the UTF-8 byte length of the string it returned. */
export const utf8 = { bytes: 0 };

/**
 * Replace every character flagged in `t` (and lone UTF-16 surrogates, which cannot be encoded as valid
 * UTF-8) and count the result's UTF-8 bytes into `utf8.bytes`. Returns `s` itself when nothing changed.
 */
export function sanitize(s: string, t: Uint8Array): string {
  let out: string | undefined;
  let start = 0;
  let bytes = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes++;
      if (t[c] === 1) {
        out = (out ?? '') + s.slice(start, i) + REPLACEMENT;
        start = i + 1;
      }
    } else if (c < 0x800) {
      if (c < t.length && t[c] === 1) {
        out = (out ?? '') + s.slice(start, i) + REPLACEMENT;
        start = i + 1;
        bytes++;
      } else bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a valid surrogate pair is one 4-byte code point
        i++;
      } else {
        // A lone surrogate would be encoded as U+FFFD by Buffer; make that explicit so bytes match.
        out = (out ?? '') + s.slice(start, i) + '\ufffd';
        start = i + 1;
        bytes += 3;
      }
    } else if (c < t.length && t[c] === 1) {
      out = (out ?? '') + s.slice(start, i) + REPLACEMENT;
      start = i + 1;
      bytes++;
    } else {
      bytes += 3;
    }
  }
  utf8.bytes = bytes;
  return out === undefined ? s : out + s.slice(start);
}

/** No character flagged beyond ASCII: {@link utf8Length} of a string as it is. */
const ASCII_ONLY = new Uint8Array(0);

/**
 * UTF-8 bytes of `s` as Buffer writes it: a lone surrogate is U+FFFD, 3 bytes. With the table `t` that
 * will sanitize it, the bytes of the sanitized string: a reserved ASCII character becomes `_` and a lone
 * surrogate U+FFFD (same sizes), a flagged non-ASCII whitespace `_` (1 byte).
 */
export function utf8Length(s: string, t: Uint8Array = ASCII_ONLY): number {
  const n = s.length;
  let bytes = n;
  const wide = t.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < wide && t[c] === 1) continue; // becomes `_`: 1 byte
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      bytes += 2; // a pair: 2 units, 4 bytes; lone: U+FFFD, 3 bytes
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    } else bytes += 2;
  }
  return bytes;
}
