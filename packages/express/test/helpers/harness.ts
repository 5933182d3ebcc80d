/** A measured app on loopback and the metrics it sent, for tests outside the scenario table. */
import { createTestClient, type TestStatsClient } from '@statskit/client/testing';
import { type StatsdMiddleware, type StatsdMiddlewareOptions, statsdMiddleware } from '@statskit/express';
import type { Express } from 'express';
import { expect, vi } from 'vitest';
import { type ExpressModule, type Served, serve } from './app.js';

export interface Harness extends AsyncDisposable {
  readonly app: Express;
  readonly stats: TestStatsClient;
  readonly middleware: StatsdMiddleware;
  readonly server: Served;
  /** Fetch `path` (relative) and read the body. */
  fetch(path: string, init?: RequestInit): Promise<Response & { text_: string }>;
  /** Wait until `n` requests were recorded in all, then send the summed counters. */
  settle(n: number): Promise<void>;
  /** Route keys seen in `view.<key>.<METHOD>` timers. */
  keys(): string[];
  /** Metric names, prefix `http.` removed. */
  names(): string[];
}

export async function harness(
  express: ExpressModule,
  routes: (app: Express) => void,
  options: StatsdMiddlewareOptions = {},
): Promise<Harness> {
  const stats = createTestClient();
  const middleware = statsdMiddleware({ client: stats, ...options });
  const app = express();
  app.set('env', 'test');
  app.use(middleware);
  routes(app);
  const server = await serve(app);
  const close = async (): Promise<void> => {
    await server.close();
  };
  return {
    app,
    stats,
    middleware,
    server,
    async fetch(path, init) {
      const res = await fetch(`${server.url}${path}`, init);
      const text_ = await res.text();
      return Object.assign(res, { text_ });
    },
    async settle(n) {
      await vi.waitFor(() => expect(stats.metrics.filter((m) => m.name === 'http.request').length).toBe(n), {
        timeout: 15_000,
      });
      middleware.recorder.flush();
    },
    keys() {
      const keys = new Set<string>();
      for (const m of stats.metrics) {
        const match = /^http\.view\.(.+)\.([A-Z]+)$/.exec(m.name);
        if (m.type === 'ms' && match?.[1] !== undefined) keys.add(`${match[1]} ${match[2]}`);
      }
      return [...keys].sort();
    },
    names() {
      return stats.metrics.map((m) => m.name.replace(/^http\./, ''));
    },
    [Symbol.asyncDispose]: close,
  };
}
