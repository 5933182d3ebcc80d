/**
 * Per-call tag sets of one client already resolved to their wire string: a tagged call whose tags were
 * seen before writes the cached string (the same string object every time, so the aggregator matches it
 * by reference) instead of sanitising and joining them again.
 *
 * Keyed on **content**, never on the caller's object: every call reads its tags once (own enumerable
 * keys of an object, the elements of an array — the same reads the uncached path makes) into scratch
 * arrays reused from call to call, hashes the keys and values as it reads, and compares them with the
 * cached set's own copies. An object mutated between calls, a getter answering differently, or a fresh
 * literal per call are therefore all looked up by what they hold now; nothing is allocated on a hit.
 *
 * This layer never sanitises: a set not cached yet is resolved by the core's TagWriter (from a snapshot
 * of what was read, so no getter is read twice) and its result is what gets cached.
 */

import type { StatsError } from './errors.js';
import { type ResolvedTags, type TagWriter, unreadable } from './protocol/tags.js';

type Report = (err: StatsError) => void;

/**
 * Bounds, as the name cache's (names.ts): at most this many sets and about this many bytes per client
 * (see `TagSet.cost`). Full, it takes one new set in {@link ADMIT_EVERY}, forgetting the oldest one by
 * one; the other new sets take the uncached path, which is what every call cost before.
 */
const CACHE_ENTRIES = 10_000;
const CACHE_BYTES = 4 * 1024 * 1024;
const ADMIT_EVERY = 16;
/** The set object, its two arrays, its Buffer and the Map slot, roughly (a set of two short tags held ~420–500 bytes in all). */
const ENTRY_OVERHEAD = 320;
/** A set with more tags, or more characters in its keys and values, is never cached. */
const MAX_TAGS = 32;
const MAX_CHARS = 2048;
/** Sets sharing one hash beyond this are not added (a crafted collision cannot grow a chain). */
const MAX_CHAIN = 16;

const SHAPE_OBJECT = 1;
const SHAPE_ARRAY = 2;
/** FNV-1a. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * One cached tag set: what the caller wrote (to compare) and the resolved wire string, also as UTF-8
 * (the encoder copies those bytes into the packet instead of writing the string char by char).
 */
export class TagSet {
  readonly shape: number;
  readonly hash: number;
  /** Object: its keys; array: its strings. */
  readonly keys: readonly string[];
  /** Object: the values (string, finite number or `true`); array: empty. */
  readonly values: readonly (string | number | true)[];
  /** The client's tags with these over them, leading separator included, and its UTF-8 bytes. */
  readonly str: string;
  readonly bytes: number;
  readonly utf8: Uint8Array;
  /** About how much memory caching it holds. */
  readonly cost: number;
  /** The next set with the same hash. */
  next: TagSet | undefined = undefined;
  /** Still in the cache (false once evicted). */
  cached = true;

  constructor(
    shape: number,
    hash: number,
    keys: string[],
    values: (string | number | true)[],
    str: string,
    bytes: number,
    chars: number,
  ) {
    this.shape = shape;
    this.hash = hash;
    this.keys = keys;
    this.values = values;
    this.str = str;
    this.bytes = bytes;
    this.utf8 = Buffer.from(str, 'utf8');
    this.cost = 2 * (chars + str.length) + bytes + 16 * keys.length + ENTRY_OVERHEAD;
  }
}

/**
 * Mix `s` into hash `h`: its length and, for a string of up to 4 characters (`GET`, `200`), every
 * character; for a longer one its first two, its middle one and its last four (where ids and counters
 * differ), in constant time. A lookup compares the strings anyway, so a collision costs a comparison,
 * never a wrong set (sets sharing a hash are bounded by {@link MAX_CHAIN}). Reading every character was
 * the largest part of a hit (Node 20 profile, three short tags); this made a hit ~25 % cheaper
 * (~125 → ~92 ns CPU time over the benchmark's twelve sets).
 */
function mixString(h: number, s: string): number {
  const n = s.length;
  let x = Math.imul(h ^ n ^ 0x10000, FNV_PRIME);
  if (n <= 4) {
    for (let i = 0; i < n; i++) x = Math.imul(x ^ s.charCodeAt(i), FNV_PRIME);
    return x;
  }
  const a = s.charCodeAt(0) ^ (s.charCodeAt(1) << 8) ^ (s.charCodeAt(n >> 1) << 16);
  const b =
    s.charCodeAt(n - 4) ^
    (s.charCodeAt(n - 3) << 8) ^
    (s.charCodeAt(n - 2) << 16) ^
    (s.charCodeAt(n - 1) << 24);
  return Math.imul(Math.imul(x ^ a, FNV_PRIME) ^ b, FNV_PRIME);
}

/**
 * The tag-set cache of one client (its own tags are part of every cached string). Internal.
 */
export class TagSets {
  /** UTF-8 bytes of the string {@link resolve} last returned. */
  bytes = 0;
  /**
   * True when the string {@link resolve} last returned is the TagWriter's (possibly only its pieces): the
   * caller then hands the call's tags to the encoder, as on the uncached path.
   */
  pieces = false;
  /** The cached set {@link resolve} last returned (a hit, or a set it has just cached), else undefined. */
  set: TagSet | undefined = undefined;
  /** Lookups answered from the cache, and sets added: for tests. */
  hits = 0;
  added = 0;

  readonly #maxBytes: number;
  readonly #report: Report;
  /** The reports made while a set was resolved: a set that made any is not cached (they repeat). */
  #reports = 0;
  readonly #counting: Report = (err) => {
    this.#reports++;
    this.#report(err);
  };
  /**
   * Buckets by hash (`hash & mask`): the first set of the bucket, the others follow `next`. An array
   * index instead of a Map lookup on the hit path; doubled when it holds more sets than half its slots.
   */
  #table: (TagSet | undefined)[] = new Array<TagSet | undefined>(64).fill(undefined);
  #mask = 63;
  #size = 0;
  #bytes = 0;
  /** Insertion order, oldest first from `#head`. */
  #order: (TagSet | undefined)[] = [];
  #head = 0;
  #misses = 0;
  /** What the current call read: keys (or an array's strings) and values. Reused by every call. */
  readonly #k: unknown[] = [];
  readonly #v: unknown[] = [];
  /** Bumped by every read: a change while one runs means a getter re-entered this cache. */
  #gen = 0;

  /** `report`: the core's; `maxLine`: a set whose string cannot fit a packet is not kept. */
  constructor(report: Report, maxLine: number) {
    this.#report = report;
    this.#maxBytes = maxLine;
  }

  /** Sets cached now, and the bytes they are accounted. */
  get size(): number {
    return this.#size;
  }
  get cachedBytes(): number {
    return this.#bytes;
  }

  /**
   * The client's tags (`base`) plus the call's `tags`, as {@link TagWriter.append} makes them, from the
   * cache when this set was resolved before. Sets {@link bytes} and {@link pieces}.
   */
  resolve(base: ResolvedTags, tags: unknown, writer: TagWriter, asString: boolean): string {
    if (base.format === 'none' || typeof tags !== 'object' || tags === null) {
      return this.#uncached(base, tags, writer, asString);
    }
    const keys = this.#k;
    const values = this.#v;
    const gen = ++this.#gen;
    let shape = SHAPE_OBJECT;
    let n = 0;
    let h = FNV_OFFSET;
    let chars = 0;
    let ok = true;
    try {
      if (Array.isArray(tags)) {
        shape = SHAPE_ARRAY;
        const len = tags.length;
        for (let i = 0; i < len; i++) {
          const tag = tags[i] as unknown;
          keys[n++] = tag;
          if (typeof tag !== 'string' || tag.length === 0) ok = false;
          else if (ok) {
            chars += tag.length;
            h = mixString(h, tag);
          }
        }
      } else if (tags instanceof Map) {
        return this.#uncached(base, tags, writer, asString);
      } else {
        for (const k in tags) {
          if (!hasOwn.call(tags, k)) continue;
          const v = (tags as Record<string, unknown>)[k];
          // skipped as the TagWriter skips them: they are no tag and make no report
          if (v === false || v === undefined || v === null) continue;
          keys[n] = k;
          values[n++] = v;
          if (!ok) continue;
          chars += k.length;
          h = mixString(h, k);
          if (typeof v === 'string') {
            chars += v.length;
            h = mixString(h, v);
          } else if (typeof v === 'number' && v - v === 0) {
            // an integer hashes by value, a fraction shares its integer part's hash (compared below)
            h = Math.imul(h ^ (v | 0) ^ 0x20000, FNV_PRIME);
          } else if (v === true) h = Math.imul(h ^ 0x30000, FNV_PRIME);
          else ok = false; // reported by the TagWriter, every call
        }
      }
    } catch (err) {
      // a getter or Proxy trap threw: none of the call's tags are used (the metric still goes out)
      this.#release();
      unreadable(tags, err, this.#report);
      this.pieces = false;
      this.set = undefined;
      this.bytes = base.bytes;
      return base.str;
    }
    if (this.#gen !== gen) {
      // a getter sent a tagged metric through this client: the scratch holds its tags now
      this.#release();
      return this.#uncached(base, tags, writer, asString);
    }
    if (n > MAX_TAGS || chars > MAX_CHARS) ok = false;
    const hash = h & 0x3fffffff;
    if (ok) {
      for (let s = this.#table[hash & this.#mask]; s !== undefined; s = s.next) {
        if (s.hash !== hash || s.shape !== shape || s.keys.length !== n) continue;
        const sk = s.keys;
        const sv = s.values;
        let i = 0;
        if (shape === SHAPE_ARRAY) while (i < n && sk[i] === keys[i]) i++;
        else while (i < n && sk[i] === keys[i] && sv[i] === values[i]) i++;
        if (i === n) {
          this.hits++;
          this.pieces = false;
          this.set = s;
          this.bytes = s.bytes;
          return s.str;
        }
      }
    }
    return this.#miss(base, shape, n, hash, chars, ok, writer);
  }

  /** Resolve what was read (a snapshot: no getter is read again), and cache it when it may be. */
  #miss(
    base: ResolvedTags,
    shape: number,
    n: number,
    hash: number,
    chars: number,
    ok: boolean,
    writer: TagWriter,
  ): string {
    const keys = this.#k.slice(0, n);
    const values = shape === SHAPE_OBJECT ? this.#v.slice(0, n) : [];
    this.#release();
    let snapshot: unknown;
    if (shape === SHAPE_ARRAY) snapshot = keys;
    else {
      // a Map keeps the order read and takes any key (`__proto__` too), and the writer reads it alike
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) m.set(keys[i], values[i]);
      snapshot = m;
    }
    const reports = this.#reports;
    // the snapshot has no getter: only a report (onError) can re-enter, which the writer handles
    const str = writer.append(base, snapshot, this.#counting, true);
    const bytes = writer.bytes;
    this.pieces = false;
    this.bytes = bytes;
    this.set = undefined;
    if (ok && this.#reports === reports && bytes <= this.#maxBytes && this.#admit()) {
      this.#add(
        new TagSet(shape, hash, keys as string[], values as (string | number | true)[], str, bytes, chars),
      );
    }
    return str;
  }

  /** The uncached path, exactly as before the cache: the TagWriter reads the caller's tags. */
  #uncached(base: ResolvedTags, tags: unknown, writer: TagWriter, asString: boolean): string {
    const str = writer.append(base, tags, this.#report, asString);
    this.pieces = true;
    this.set = undefined;
    this.bytes = writer.bytes;
    return str;
  }

  /**
   * Off the hit path: let go of what the scratch holds (a bad value may be a large object the caller
   * passed by mistake) and of slots past {@link MAX_TAGS} (a large set read once is not kept alive).
   */
  #release(): void {
    const k = this.#k;
    const v = this.#v;
    if (k.length > MAX_TAGS) k.length = MAX_TAGS;
    if (v.length > MAX_TAGS) v.length = MAX_TAGS;
    k.fill(undefined);
    v.fill(undefined);
  }

  #admit(): boolean {
    const full = this.#size >= CACHE_ENTRIES || this.#bytes >= CACHE_BYTES - (CACHE_BYTES >>> 4);
    if (full && ++this.#misses < ADMIT_EVERY) return false;
    this.#misses = 0;
    return true;
  }

  /** Cache `set`: past a bound, the oldest sets are forgotten first (FIFO, no reset cliff). */
  #add(set: TagSet): void {
    if (set.cost > CACHE_BYTES >>> 4) return; // one set never takes a large part of the budget
    if (set.utf8.length !== set.bytes) return; // never expected: the encoder reserves `bytes` for them
    if (this.#size >= (this.#mask + 1) >>> 1) this.#grow();
    const slot = set.hash & this.#mask;
    const first = this.#table[slot];
    let depth = 0;
    for (let s = first; s !== undefined; s = s.next) if (s.hash === set.hash && ++depth >= MAX_CHAIN) return;
    this.set = set;
    set.next = first;
    this.#table[slot] = set;
    this.#size++;
    this.#bytes += set.cost;
    this.added++;
    const order = this.#order;
    order.push(set);
    while ((this.#size > CACHE_ENTRIES || this.#bytes > CACHE_BYTES) && this.#head < order.length) {
      const i = this.#head++;
      const old = order[i] as TagSet;
      order[i] = undefined;
      this.#remove(old);
    }
    if (this.#head > 1024 && this.#head * 2 > order.length) {
      // drop the consumed front (amortised: at most once per half of the queue)
      order.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Twice the buckets, every cached set moved to its new one (order within a bucket does not matter). */
  #grow(): void {
    const old = this.#table;
    const mask = old.length * 2 - 1;
    const table = new Array<TagSet | undefined>(mask + 1).fill(undefined);
    for (let i = 0; i < old.length; i++) {
      let s = old[i];
      while (s !== undefined) {
        const next = s.next;
        const slot = s.hash & mask;
        s.next = table[slot];
        table[slot] = s;
        s = next;
      }
    }
    this.#table = table;
    this.#mask = mask;
  }

  #remove(set: TagSet): void {
    const slot = set.hash & this.#mask;
    let prev: TagSet | undefined;
    let s = this.#table[slot];
    while (s !== undefined && s !== set) {
      prev = s;
      s = s.next;
    }
    if (s === undefined) return;
    if (prev === undefined) this.#table[slot] = set.next;
    else prev.next = set.next;
    set.next = undefined;
    set.cached = false;
    this.#size--;
    this.#bytes -= set.cost;
  }
}
