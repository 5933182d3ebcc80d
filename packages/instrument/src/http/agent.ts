import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import { HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { followRequest } from './client-request.js';
import type { HttpClientStatsOptions } from './types.js';

/** `Agent#addRequest`: undocumented in the types, stable in Node since 0.x; every request passes it. */
interface AgentInternals {
  addRequest(req: ClientRequest, options: unknown): void;
}

const httpAddRequest = (http.Agent.prototype as unknown as AgentInternals).addRequest;
const httpsAddRequest = (https.Agent.prototype as unknown as AgentInternals).addRequest;

/**
 * An `http.Agent` that measures the requests made through it (docs/metrics.md, "Outbound HTTP"): an
 * explicit opt-in where the process-wide {@link instrumentHttpClient} is not wanted. A request measured
 * here is not measured again by `instrumentHttpClient`.
 *
 * The call ends when the request closes after its response was read to the end (a tick after the
 * response's `end`), or at its first error.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { StatsHttpAgent } from '@statskit/instrument';
 * const agent = new StatsHttpAgent({ stats }, { keepAlive: true });
 * http.get('http://api.internal/users', { agent }, onResponse);
 * await axios.get('http://api.internal/users', { httpAgent: agent });
 * ```
 */
export class StatsHttpAgent extends http.Agent {
  readonly #stats: HttpClientStats;

  constructor(stats: HttpClientStatsOptions, options?: http.AgentOptions) {
    super(options);
    this.#stats = new HttpClientStats(resolveHttpClientOptions(stats, 'StatsHttpAgent'));
  }

  /** @internal Node calls it once per request. */
  addRequest(req: ClientRequest, options: unknown): void {
    try {
      followRequest(this.#stats, req);
    } catch {
      // never throw into node:http
    }
    httpAddRequest.call(this, req, options);
  }
}

/**
 * The `https.Agent` counterpart of {@link StatsHttpAgent}.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { StatsHttpsAgent } from '@statskit/instrument';
 * const agent = new StatsHttpsAgent({ stats }, { keepAlive: true });
 * await axios.get('https://api.example.com/users', { httpsAgent: agent });
 * ```
 */
export class StatsHttpsAgent extends https.Agent {
  readonly #stats: HttpClientStats;

  constructor(stats: HttpClientStatsOptions, options?: https.AgentOptions) {
    super(options);
    this.#stats = new HttpClientStats(resolveHttpClientOptions(stats, 'StatsHttpsAgent'));
  }

  /** @internal Node calls it once per request. */
  addRequest(req: ClientRequest, options: unknown): void {
    try {
      followRequest(this.#stats, req);
    } catch {
      // never throw into node:http
    }
    httpsAddRequest.call(this, req, options);
  }
}
