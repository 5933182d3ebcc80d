import type { StatsClient } from '@statskit/client';
import { currentRequest, enableRequestContext, type RequestContext } from '../context.js';
import { encodeSegment } from '../route-key.js';
import { fail, isStatsClient } from '../shared.js';
import type { DbStatsMode, DbStatsOptions } from './types.js';

/**
 * Internal: the metrics of one instrumented connection (or pool, or client). Names and tagged children
 * are built once per operation and cached; operations come from bounded sets, and past
 * `MAX_OPERATIONS` distinct ones everything is `other`.
 */

const MAX_OPERATIONS = 256;

export type OpKind = 'db' | 'cache';

interface OpNames {
  /** names mode: the timer name; tags mode: the tagged child. */
  readonly timer: string;
  readonly errors: string;
  readonly hit: string;
  readonly miss: string;
  readonly client: StatsClient;
}

export interface ResolvedDbOptions {
  readonly stats: StatsClient;
  readonly name: string;
  readonly mode: DbStatsMode;
  readonly prefix: string;
  readonly request: boolean;
}

/** A name segment, or `fallback` when nothing is left of it. */
export function segment(s: string, fallback: string): string {
  const seg = typeof s === 'string' ? encodeSegment(s) : '';
  return seg === '' || seg === '_' ? fallback : seg;
}

/** Validate once; throws InvalidOptionError. */
export function resolveDbOptions(
  options: Omit<DbStatsOptions, 'name'> & { readonly name?: unknown },
  kind: OpKind,
  what: string,
): ResolvedDbOptions {
  if (typeof options !== 'object' || options === null) fail(`${what}: options must be an object`);
  if (!isStatsClient(options.stats)) fail(`${what}: option \`stats\` must be a StatsClient`);
  const mode = options.mode ?? 'names';
  if (mode !== 'names' && mode !== 'tags') fail(`${what}: \`mode\` must be 'names' or 'tags'`);
  const prefix = options.prefix ?? kind;
  if (typeof prefix !== 'string') fail(`${what}: \`prefix\` must be a string`);
  const request = options.request ?? true;
  if (typeof request !== 'boolean') fail(`${what}: \`request\` must be a boolean`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' && typeof name !== 'function') fail(`${what}: \`name\` must be a string`);
  if (request) enableRequestContext();
  return {
    stats: options.stats,
    name: typeof name === 'string' ? segment(name, 'default') : 'default',
    mode,
    prefix: encodePrefix(prefix),
    request,
  };
}

/** `db`, `my.db` → `my.db.`; `''` → `''`. Each dot-separated piece sanitized. */
function encodePrefix(prefix: string): string {
  let out = '';
  for (const piece of prefix.split('.')) {
    const seg = encodeSegment(piece);
    if (seg !== '') out += `${seg}.`;
  }
  return out;
}

/** The pool gauge names of one (system, name). */
interface PoolNames {
  readonly client: StatsClient;
  readonly total: string;
  readonly idle: string;
  readonly waiting: string;
}

/** The metrics of one (system, name): `record()` is the hot path. */
export class OpStats {
  readonly kind: OpKind;
  readonly #opts: ResolvedDbOptions;
  readonly #system: string;
  readonly #name: string;
  readonly #ops = new Map<string, OpNames>();
  #acquire: { readonly client: StatsClient; readonly name: string } | undefined;
  #pool: PoolNames | undefined;
  /** Set by `uninstrument()`: wrappers keep calling through, nothing is recorded. */
  enabled = true;

  constructor(opts: ResolvedDbOptions, kind: OpKind, system: string, name = opts.name) {
    this.kind = kind;
    this.#opts = opts;
    this.#system = segment(system, 'other');
    this.#name = segment(name, 'default');
  }

  /** The client metrics go to. */
  get client(): StatsClient {
    return this.#opts.stats;
  }

  /** A pool's connections: `pool.total`, `pool.idle`, `pool.waiting` gauges. */
  pool(total: number, idle: number, waiting: number): void {
    if (!this.enabled) return;
    try {
      let p = this.#pool;
      if (p === undefined) {
        const o = this.#opts;
        const base =
          o.mode === 'tags' ? `${o.prefix}pool.` : `${o.prefix}${this.#system}.${this.#name}.pool.`;
        const client = o.mode === 'tags' ? o.stats.child({ tags: this.#tags() }) : o.stats;
        p = { client, total: `${base}total`, idle: `${base}idle`, waiting: `${base}waiting` };
        this.#pool = p;
      }
      p.client.gauge(p.total, total);
      p.client.gauge(p.idle, idle);
      p.client.gauge(p.waiting, waiting);
    } catch {
      // see record()
    }
  }

  /** The request to attribute an operation starting now to (captured at call time). */
  request(): RequestContext | undefined {
    return this.#opts.request ? currentRequest() : undefined;
  }

  /** One operation: timer, error counter, request totals. Never throws. */
  record(op: string, ms: number, failed: boolean, ctx: RequestContext | undefined): void {
    if (!this.enabled) return;
    try {
      const names = this.#names(op);
      const time = ms > 0 ? Math.round(ms * 1000) / 1000 : 0;
      names.client.timing(names.timer, time);
      if (failed) names.client.incr(names.errors);
      ctx?.add(this.kind, ms);
    } catch {
      // A metric call never throws; the client reports its own problems.
    }
  }

  /** Cache reads: `hits` and `misses` found (an `mget` can count both). */
  hitMiss(op: string, hits: number, misses: number): void {
    if (!this.enabled) return;
    try {
      const names = this.#names(op);
      if (hits > 0) names.client.incr(names.hit, hits);
      if (misses > 0) names.client.incr(names.miss, misses);
    } catch {
      // see record()
    }
  }

  /** Time waited for a pooled connection. */
  acquire(ms: number): void {
    if (!this.enabled) return;
    try {
      let a = this.#acquire;
      if (a === undefined) {
        const o = this.#opts;
        a =
          o.mode === 'tags'
            ? { client: o.stats.child({ tags: this.#tags() }), name: `${o.prefix}pool.acquire` }
            : { client: o.stats, name: `${o.prefix}${this.#system}.${this.#name}.pool.acquire` };
        this.#acquire = a;
      }
      a.client.timing(a.name, ms > 0 ? Math.round(ms * 1000) / 1000 : 0);
    } catch {
      // see record()
    }
  }

  #tags(): Record<string, string> {
    const k = this.kind;
    return { [`${k}.system`]: this.#system, [`${k}.name`]: this.#name };
  }

  #names(raw: string): OpNames {
    let n = this.#ops.get(raw);
    if (n !== undefined) return n;
    const op = this.#ops.size >= MAX_OPERATIONS ? 'other' : segment(raw, 'other');
    n = this.#ops.get(op);
    if (n === undefined) {
      const o = this.#opts;
      const p = o.prefix;
      if (o.mode === 'tags') {
        const base = this.kind === 'db' ? `${p}query` : `${p}command`;
        const tags = this.#tags();
        tags[this.kind === 'db' ? 'operation' : 'command'] = op;
        n = {
          timer: base,
          errors: `${base}.errors`,
          hit: `${p}hit`,
          miss: `${p}miss`,
          client: o.stats.child({ tags }),
        };
      } else {
        const base =
          this.kind === 'db'
            ? `${p}${this.#system}.${this.#name}.query.${op}`
            : `${p}${this.#system}.${this.#name}.${op}`;
        n = {
          timer: base,
          errors: `${base}.errors`,
          hit: `${base}.hit`,
          miss: `${base}.miss`,
          client: o.stats,
        };
      }
      this.#ops.set(op, n);
    }
    if (this.#ops.size < MAX_OPERATIONS) this.#ops.set(raw, n);
    return n;
  }
}
