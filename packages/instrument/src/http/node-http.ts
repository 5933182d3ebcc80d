import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { followRequest } from './client-request.js';
import type { HttpClientInstrumentation, HttpClientStatsOptions } from './types.js';

/**
 * node:http's client channel: `http.client.request.start` is published when the request is flushed to
 * its socket (a tick after `http.request()`). The call then ends with the request's `close` (a tick
 * after the response's `end` on a keep-alive socket, or when the socket closes), or at its first error,
 * as with the Agents. (`http.client.response.finish` is not used: following the response from its
 * headers cost three more listeners per call, a profile showed, for a tick of precision.)
 */
const START = 'http.client.request.start';

interface StartMessage {
  readonly request: ClientRequest;
}

/**
 * Measure every outbound call made with node:http / node:https — and so axios, got, and SDKs built on
 * them — through `diagnostics_channel`, without patching anything. Each call is timed to the end of its
 * response body; statuses and errors are counted per host (docs/metrics.md, "Outbound HTTP"). Responses
 * and errors reach the app unchanged. `fetch` is not node:http: use `instrumentFetch` for it.
 *
 * A call whose response body the app never reads ends when its socket closes.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { instrumentHttpClient } from '@statskit/instrument';
 * const http = instrumentHttpClient({ stats });
 * await axios.get('https://api.example.com/users'); // http_client.api_example_com.GET:42.1|ms, ...
 * http.uninstall(); // on shutdown, or in tests
 * ```
 */
export function instrumentHttpClient(options: HttpClientStatsOptions): HttpClientInstrumentation {
  const stats = new HttpClientStats(resolveHttpClientOptions(options, 'instrumentHttpClient'));
  let active = true;
  const onStart = (message: unknown): void => {
    if (!active) return;
    try {
      followRequest(stats, (message as StartMessage).request);
    } catch {
      // never throw into node:http
    }
  };
  dc.subscribe(START, onStart);
  return {
    uninstall(): void {
      if (!active) return;
      active = false;
      dc.unsubscribe(START, onStart);
    },
  };
}
