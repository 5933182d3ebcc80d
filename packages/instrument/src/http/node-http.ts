import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { followRequest, responseArrived } from './client-request.js';
import type { HttpClientInstrumentation, HttpClientStatsOptions } from './types.js';

/**
 * node:http's client channels on Node ≥ 20.19 (all three exist there; `http.client.request.created`
 * only on newer lines, and is not needed). `request.start` is published when the request is flushed
 * to its socket (a tick after `http.request()`); `response.finish` when the response *headers* are
 * parsed, before the app's `response` callback — the body's end is the response's `end` event.
 * Request errors are seen through `errorMonitor` on the request, which also covers the Agents.
 */
const START = 'http.client.request.start';
const RESPONSE = 'http.client.response.finish';

interface StartMessage {
  readonly request: ClientRequest;
}
interface ResponseMessage {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
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
  const onResponse = (message: unknown): void => {
    try {
      const m = message as ResponseMessage;
      responseArrived(m.request, m.response);
    } catch {
      // never throw into node:http
    }
  };
  dc.subscribe(START, onStart);
  dc.subscribe(RESPONSE, onResponse);
  return {
    uninstall(): void {
      if (!active) return;
      active = false;
      dc.unsubscribe(START, onStart);
      dc.unsubscribe(RESPONSE, onResponse);
    },
  };
}
