/**
 * Metric names of one client: its prefix and suffix, and a bounded cache of names already resolved to
 * the bytes that go on the wire.
 */

import { REPLACEMENT, sanitize, utf8, utf8Length } from './protocol/sanitize.js';
import { putString } from './protocol/write.js';

/** A name resolved once: prefix + sanitized name + suffix, its UTF-8 bytes and their count. */
export interface Key {
  readonly key: string;
  readonly bytes: number;
  readonly utf8: Uint8Array;
  /** About how much memory caching it holds: the caller's name, the key, its UTF-8 copy, the entry. */
  readonly cost: number;
  /** In the name cache: set once a line with it was accepted. */
  cached: boolean;
}

/**
 * The cache of each client holds at most this many names and about this many bytes (see `Key.cost`).
 * Full, it takes one new name in {@link ADMIT_EVERY} (forgetting the oldest, one by one — never the
 * whole cache at once); the other new names are written straight into the packet, which costs a scan of
 * the name and no allocation. A name is cached only once a line with it was accepted, so a name whose
 * lines are dropped as too large is never kept.
 */
const CACHE_ENTRIES = 10_000;
const CACHE_BYTES = 4 * 1024 * 1024;
const ADMIT_EVERY = 16;
/** Map entry, Key object, Buffer header and its ArrayBuffer's backing store record, roughly. */
const ENTRY_OVERHEAD = 256;
const UNDERSCORE = REPLACEMENT.charCodeAt(0);

export class Names {
  /** Ready to write: `app.` and `.suffix`, already sanitized and joined with their dots. */
  readonly prefix: string;
  readonly suffix: string;
  /** UTF-8 bytes of prefix and suffix together. */
  readonly fixedBytes: number;
  /** The sanitizing table of names in this tag format. */
  readonly table: Uint8Array;
  readonly #keys = new Map<unknown, Key>();
  /** Sum of the cached keys' `cost`. */
  #bytes = 0;
  /**
   * Insertion order of `#keys`, oldest first from `#head` (a queue: names and their Key; a stale pair —
   * the name re-cached since — is skipped). Evicting through the Map's own iterator re-scanned every
   * deleted slot: with more distinct names than the cache holds, each call cost microseconds.
   */
  #orderNames: unknown[] = [];
  #orderKeys: (Key | undefined)[] = [];
  #head = 0;
  /** Misses since the full cache last took a name. */
  #misses = 0;

  constructor(prefix: string, suffix: string, table: Uint8Array) {
    this.prefix = prefix;
    this.suffix = suffix;
    this.table = table;
    this.fixedBytes = Buffer.byteLength(prefix) + Buffer.byteLength(suffix);
  }

  /** The cached key of `name`, if any. */
  get(name: unknown): Key | undefined {
    return this.#keys.get(name);
  }

  /**
   * A key for `name` (a non-empty string) that is not cached yet: built now when the cache would take
   * it, else undefined — the caller then writes the name with {@link put} and {@link bytesOf}.
   */
  build(name: string): Key | undefined {
    if (this.#full() && ++this.#misses < ADMIT_EVERY) return undefined;
    this.#misses = 0;
    return this.resolve(name);
  }

  /** prefix + sanitized name + suffix as a Key (not cached). */
  resolve(name: string): Key {
    const clean = sanitize(name, this.table);
    const key = this.prefix + clean + this.suffix;
    const bytes = utf8.bytes + this.fixedBytes;
    const cost = name.length + key.length + bytes + ENTRY_OVERHEAD;
    // Its own memory, not a slice of Node's Buffer pool (what `Buffer.from` returns for short strings):
    // a cached key lives long, and a slice keeps its whole pool alive — 8 KiB up to Node 22, 64 KiB from
    // Node 24 on — so the cache's byte bound would not bound what it holds.
    const u8 = Buffer.allocUnsafeSlow(bytes);
    u8.write(key, 0, bytes, 'utf8');
    return { key, bytes, utf8: u8, cost, cached: false };
  }

  /** UTF-8 bytes of prefix + sanitized `name` + suffix. */
  bytesOf(name: string): number {
    return this.fixedBytes + utf8Length(name, this.table); // the count of the sanitized name
  }

  /** Write prefix + sanitized `name` + suffix at `off`; returns the offset after it. */
  put(buf: Buffer, off: number, name: string): number {
    let o = putString(buf, off, this.prefix);
    const t = this.table;
    const n = name.length;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) {
        o += buf.write(sanitize(name.slice(i), t), o, 'utf8');
        break;
      }
      buf[o++] = t[c] === 1 ? UNDERSCORE : c;
    }
    return putString(buf, o, this.suffix);
  }

  /** Cache `k` for `name`: past a bound, the oldest names are forgotten first (FIFO, no reset cliff). */
  remember(name: string, k: Key): void {
    if (k.cost > CACHE_BYTES >>> 4) return; // one name never takes a large part of the budget
    const keys = this.#keys;
    const prev = keys.get(name); // cached meanwhile by a metric sent from onError
    if (prev !== undefined) this.#bytes -= prev.cost;
    k.cached = true;
    keys.set(name, k);
    this.#bytes += k.cost;
    const names = this.#orderNames;
    const order = this.#orderKeys;
    names.push(name);
    order.push(k);
    while (this.#over() && this.#head < names.length) {
      const i = this.#head++;
      const oldName = names[i];
      const old = order[i] as Key;
      names[i] = undefined;
      order[i] = undefined; // nor the Key (its strings and bytes) until the splice below
      if (keys.get(oldName) !== old) continue; // re-cached since: a newer pair is further on
      keys.delete(oldName);
      old.cached = false;
      this.#bytes -= old.cost;
    }
    if (this.#head > 1024 && this.#head * 2 > names.length) {
      // drop the consumed front (amortised: at most once per half of the queue)
      names.splice(0, this.#head);
      order.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #over(): boolean {
    return this.#keys.size > CACHE_ENTRIES || this.#bytes > CACHE_BYTES;
  }

  #full(): boolean {
    return this.#keys.size >= CACHE_ENTRIES || this.#bytes >= CACHE_BYTES - (CACHE_BYTES >>> 4);
  }
}
