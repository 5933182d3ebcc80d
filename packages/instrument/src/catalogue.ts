/**
 * The request-metric names, relative to the recorder's prefix (default `http`). The one place they are
 * spelled; docs/metrics.md documents them and the shared adapter tests assert them.
 *
 * `key` is a route key (`users._id`), `method` an upper-case HTTP method, `status` a code (`200`) or a
 * class (`2xx`), `kind` a context kind (`db`, `cache`, `http`).
 *
 * @example
 * ```ts
 * import { metricNames } from '@statskit/instrument';
 * metricNames.routeTimer('users._id', 'GET'); // 'view.users._id.GET'
 * ```
 */
export const metricNames = {
  /** names mode: timer per route and method. */
  routeTimer: (key: string, method: string): string => `view.${key}.${method}`,
  /** names mode: counter per route and status code or class. */
  routeStatus: (key: string, status: string): string => `view.${key}.response.${status}`,
  /** names mode: errors per route. */
  routeErrors: (key: string): string => `view.${key}.errors`,
  /** names mode: operations of a kind per request, per route (a timer by default: `countType`). */
  routeKindCount: (key: string, kind: string): string => `view.${key}.${kind}.count`,
  /** names mode: time in a kind per request, per route (timer). */
  routeKindTime: (key: string, kind: string): string => `view.${key}.${kind}.time`,
  /** names mode: timer per method over every route. */
  methodTimer: (method: string): string => `view.${method}`,
  /** names mode: counter per status code or class over every route. */
  status: (status: string): string => `response.${status}`,
  /** Both modes: every request (names mode), or every request tagged route/method/status (tags mode). */
  request: 'request',
  /** Both modes: requests that failed (an error was handled, or the status is 5xx). */
  errors: 'errors',
  /** Both modes: operations of a kind per request (a timer by default: `countType`); tagged by route and method in tags mode. */
  kindCount: (kind: string): string => `${kind}.count`,
  /** Both modes: time in a kind per request (timer); tagged by route and method in tags mode. */
  kindTime: (kind: string): string => `${kind}.time`,
  /** names mode, `sizes: true`: request body bytes per route (distribution, sent as a timer). */
  routeRequestBytes: (key: string): string => `view.${key}.request.bytes`,
  /** names mode, `sizes: true`: response body bytes per route (distribution, sent as a timer). */
  routeResponseBytes: (key: string): string => `view.${key}.response.bytes`,
  /** Both modes, `sizes: true`: request body bytes (names mode: over every route). */
  requestBytes: 'request.bytes',
  /** Both modes, `sizes: true`: response body bytes (names mode: over every route). */
  responseBytes: 'response.bytes',
} as const;

/** Tag names of tags mode. */
export const tagNames = {
  /** The route template (`/users/:id`). */
  route: 'route',
  /** The HTTP method. */
  method: 'method',
  /** The response status code. */
  status: 'status',
  /** The status class (`2xx`). */
  statusClass: 'status_class',
} as const;
