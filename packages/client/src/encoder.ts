/**
 * The statsd line, written straight into the packet: the one place that knows its layout and counts its
 * bytes. The client's calls and the aggregator's flushes both write through it.
 *
 *   DogStatsD / etsy:   <name>:<value><type><rate><timestamp><tags>      app.hits:1|c|@0.5|#env:prod
 *   Telegraf/Graphite:  <name><tags>:<value><type><rate>                 app.hits,env=prod:1|c
 */

import type { Batcher } from './batcher.js';
import type { Key, Names } from './names.js';
import { putNumber } from './protocol/number.js';
import type { ResolvedTags, TagWriter } from './protocol/tags.js';
import { putBytes, putString } from './protocol/write.js';
import type { TagSet } from './tag-sets.js';

/** Counts a line about to be written, or drops it (counted, reported) when it can never fit a packet. */
export type Accept = (bytes: number, lines: number, name: string) => boolean;

/** For re-reading tags whose problems were already reported. */
function ignoreErrors(): void {}

export class Encoder {
  readonly #batcher: Batcher;
  readonly #accept: Accept;
  /** The core's writer of per-call tags (its pieces of the last call's tags). */
  readonly #writer: TagWriter;
  /** Telegraf and Graphite carry tags inside the name; DogStatsD after the type. */
  readonly tagsInName: boolean;

  constructor(batcher: Batcher, accept: Accept, writer: TagWriter, tagsInName: boolean) {
    this.#batcher = batcher;
    this.#accept = accept;
    this.#writer = writer;
    this.tagsInName = tagsInName;
  }

  /**
   * One line. The name is `k` (a resolved key) or, without one, `names` + `name` written as it goes.
   * `stat` is appended to the name (`.count` of a timer summary; usually ''). `value` is the text after
   * the `:` (several `1:2:3` for a multi-value line); `type`, `rate` and `ts` are written as given
   * (`|ms`, `|@0.5`, `|T…`, or ''). `tags` is the tag string and `tagBytes` its size; with `callTags`,
   * the call's own tags `tags` was made of are written piece by piece (the string is never flattened);
   * with `callTags` but no `base`, `callTags` is the cached {@link TagSet} `tags` came from, whose UTF-8
   * bytes are copied. Returns false when the line was dropped as too large.
   */
  line(
    names: Names,
    name: string,
    k: Key | undefined,
    stat: string,
    value: string,
    valueBytes: number,
    type: string,
    rate: string,
    ts: string,
    tags: string,
    tagBytes: number,
    callTags?: unknown,
    base?: ResolvedTags,
  ): boolean {
    const nameBytes = (k === undefined ? names.bytesOf(name) : k.bytes) + stat.length;
    const bytes = nameBytes + tagBytes + 1 + valueBytes + type.length + rate.length + ts.length;
    if (!this.#accept(bytes, 1, name)) return false;
    const batcher = this.#batcher;
    let o = batcher.reserve(bytes);
    const buf = batcher.buffer;
    o = k === undefined ? names.put(buf, o, name) : putBytes(buf, o, k.utf8);
    if (stat !== '') o = putString(buf, o, stat);
    const inName = this.tagsInName;
    if (inName && tagBytes !== 0) o = this.#tags(buf, o, tags, tagBytes, callTags, base);
    buf[o++] = 0x3a; // ':'
    o = putString(buf, o, value);
    o = putString(buf, o, type);
    if (rate !== '') o = putString(buf, o, rate);
    if (ts !== '') o = putString(buf, o, ts);
    if (!inName && tagBytes !== 0) o = this.#tags(buf, o, tags, tagBytes, callTags, base);
    batcher.commit(o, 1);
    return true;
  }

  /**
   * A multi-value line of held samples: `values[0..count)` written as digits, `:`-separated, each followed by
   * `suffix` (the etsy form's `|ms|@0.5`; '' for DogStatsD), then `tail` once (DogStatsD's `|ms|@0.5`).
   * `valueBytes` counts the values, their suffixes and separators. False when dropped as too large.
   */
  samples(
    names: Names,
    name: string,
    values: readonly number[],
    count: number,
    valueBytes: number,
    suffix: string,
    tail: string,
    tags: string,
    tagBytes: number,
  ): boolean {
    const bytes = names.bytesOf(name) + tagBytes + 1 + valueBytes + tail.length;
    if (!this.#accept(bytes, 1, name)) return false;
    const batcher = this.#batcher;
    let o = batcher.reserve(bytes);
    const buf = batcher.buffer;
    o = names.put(buf, o, name);
    const inName = this.tagsInName;
    if (inName && tagBytes !== 0) o = putString(buf, o, tags);
    buf[o++] = 0x3a; // ':'
    for (let i = 0; i < count; i++) {
      if (i !== 0) buf[o++] = 0x3a;
      o = putNumber(buf, o, values[i] as number);
      if (suffix !== '') o = putString(buf, o, suffix);
    }
    if (tail !== '') o = putString(buf, o, tail);
    if (!inName && tagBytes !== 0) o = putString(buf, o, tags);
    batcher.commit(o, 1);
    return true;
  }

  /**
   * A gauge below zero: statsd reads `-5|g` as "subtract 5", so `<name>:0|g` goes first, in the same
   * packet (atomic). `value` starts with its `-`; `tags` is a string here.
   */
  negativeGauge(
    names: Names,
    name: string,
    k: Key | undefined,
    value: string,
    rate: string,
    ts: string,
    tags: string,
    tagBytes: number,
  ): boolean {
    const nameBytes = k === undefined ? names.bytesOf(name) : k.bytes;
    const tail = 2 + rate.length + ts.length; // |g
    const bytes = 2 * (nameBytes + tagBytes + 1 + tail) + 1 + 1 + value.length;
    if (!this.#accept(bytes, 2, name)) return false;
    const batcher = this.#batcher;
    let o = batcher.reserve(bytes);
    const buf = batcher.buffer;
    for (let i = 0; i < 2; i++) {
      if (i === 1) buf[o++] = 0x0a; // '\n'
      o = k === undefined ? names.put(buf, o, name) : putBytes(buf, o, k.utf8);
      if (this.tagsInName && tagBytes !== 0) o = putString(buf, o, tags);
      buf[o++] = 0x3a; // ':'
      o = putString(buf, o, i === 0 ? '0' : value);
      o = putString(buf, o, '|g');
      if (rate !== '') o = putString(buf, o, rate);
      if (ts !== '') o = putString(buf, o, ts);
      if (!this.tagsInName && tagBytes !== 0) o = putString(buf, o, tags);
    }
    batcher.commit(o, 2);
    return true;
  }

  /**
   * Tags at `off`. Call tags are written from their pieces; if an onError callback sent a tagged metric
   * while this call's tags were being read (the pieces are shared), they are read again, quietly
   * (already reported), as a string — and written only if they still take the `bytes` reserved for them
   * (a getter may answer differently).
   */
  #tags(
    buf: Buffer,
    off: number,
    tags: string,
    bytes: number,
    callTags: unknown,
    base: ResolvedTags | undefined,
  ): number {
    if (base === undefined) {
      // a cached tag set: its UTF-8 copy of `tags` (no `instanceof`: a user's Proxy could throw there)
      return callTags === undefined
        ? putString(buf, off, tags)
        : putBytes(buf, off, (callTags as TagSet).utf8);
    }
    if (callTags === undefined) return putString(buf, off, tags);
    const writer = this.#writer;
    const o = writer.write(buf, off, tags, bytes);
    if (o >= 0) return o;
    const again = writer.append(base, callTags, ignoreErrors, true);
    return writer.bytes === bytes ? putString(buf, off, again) : off;
  }
}
