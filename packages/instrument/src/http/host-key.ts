/**
 * Internal: host → name segment, and the bounded table of hosts reported by name.
 *
 * `api.example.com` → `api_example_com`; `127.0.0.1:8080` → `127_0_0_1_8080`; `[::1]:3000` → `__1_3000`.
 * Lower case; every character outside `[a-z0-9-]` becomes `_` one for one, so hosts that differ only in
 * punctuation (`a.b`, `a_b`) share a key. At most 100 characters.
 */

/** The key of every host past the cap or outside the allow-list. */
export const OTHER_HOST_KEY = '__other__';

/** Raw host strings remembered (beyond this, keys are recomputed; the key table stays capped anyway). */
const MAX_RAW_CACHE = 1000;
const MAX_KEY_LENGTH = 100;

function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/** `host[:port]` as a name segment; `''` for an empty host. Expects lower case. */
export function hostSegment(host: string): string {
  let out = '';
  let start = 0;
  let end = host.length;
  // `[::1]:80`: drop the IPv6 brackets, keep the port
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close > 0) {
      const port = host.slice(close + 1);
      return hostSegment(host.slice(1, close) + port);
    }
    start = 1;
  }
  if (end - start > MAX_KEY_LENGTH) end = start + MAX_KEY_LENGTH;
  for (let i = start; i < end; i++) {
    const c = host.charCodeAt(i);
    out += isKeyChar(c) ? host[i] : '_';
  }
  return out;
}

/**
 * undici's origin (`http://host:port`, a string or a URL) → `host[:port]`, as the host table takes it.
 * Anything else → `''` (reported as `__other__`).
 */
export function hostOfOrigin(origin: unknown): string {
  if (typeof origin === 'string') {
    const scheme = origin.indexOf('://');
    const from = scheme < 0 ? 0 : scheme + 3;
    const slash = origin.indexOf('/', from);
    return slash < 0 ? origin.slice(from) : origin.slice(from, slash);
  }
  if (typeof origin === 'object' && origin !== null) {
    const host = (origin as { host?: unknown }).host;
    if (typeof host === 'string') return host;
  }
  return '';
}

/** A host as the table knows it. */
export interface HostEntry {
  /** The name segment (`api_example_com`, `__other__`). */
  readonly key: string;
}

/** Which hosts may be reported by name. */
export interface HostMatcher {
  readonly names: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
}

function allowed(host: string, matcher: HostMatcher): boolean {
  if (matcher.names.has(host)) return true;
  const colon = host.lastIndexOf(':');
  // `host:port` (not an IPv6 literal without brackets): also try the bare name
  if (colon > 0 && host.indexOf(':') === colon && matcher.names.has(host.slice(0, colon))) return true;
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close > 0 && matcher.names.has(host.slice(0, close + 1))) return true;
  }
  for (const re of matcher.patterns) {
    re.lastIndex = 0;
    if (re.test(host)) return true;
  }
  return false;
}

/**
 * Host strings → entries, with at most `maxHosts` distinct keys; the rest share `__other__`.
 * `T` is what callers hang on an entry (names, tagged clients), built once by `create`.
 */
export class HostTable<T extends HostEntry> {
  readonly #byRaw = new Map<string, T>();
  readonly #byKey = new Map<string, T>();
  readonly #other: T;
  readonly #max: number;
  readonly #matcher: HostMatcher | undefined;
  readonly #create: (key: string) => T;

  constructor(maxHosts: number, matcher: HostMatcher | undefined, create: (key: string) => T) {
    this.#max = maxHosts;
    this.#matcher = matcher;
    this.#create = create;
    this.#other = create(OTHER_HOST_KEY);
  }

  /** The entry of `host` (`host[:port]`, any case). */
  get(host: string): T {
    const hit = this.#byRaw.get(host);
    if (hit !== undefined) return hit;
    const entry = this.#resolve(host);
    if (this.#byRaw.size < MAX_RAW_CACHE) this.#byRaw.set(host, entry);
    return entry;
  }

  /** Distinct hosts reported by name so far (not counting `__other__`). */
  get size(): number {
    return this.#byKey.size;
  }

  #resolve(raw: string): T {
    const host = typeof raw === 'string' ? raw.toLowerCase() : '';
    if (this.#matcher !== undefined && !allowed(host, this.#matcher)) return this.#other;
    const key = hostSegment(host);
    if (key === '' || key === OTHER_HOST_KEY) return this.#other;
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      if (this.#byKey.size >= this.#max) return this.#other;
      entry = this.#create(key);
      this.#byKey.set(key, entry);
    }
    return entry;
  }
}
