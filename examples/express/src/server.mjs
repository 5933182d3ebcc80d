// An Express app measured by @statskit/express: nested routers, route parameters, an error route.
//
//   STATSD_HOST=127.0.0.1 STATSD_PORT=8125 PORT=3000 node src/server.mjs
//   curl localhost:3000/api/v1/users/42
//
// Every request reports timers and status counters keyed by its route template (http.view.api.v1.users._id.GET,
// http.response.200, ...): see docs/metrics.md.
import { fileURLToPath } from 'node:url';
import { StatsClient } from '@statskit/client';
import { closeOnSignal, statsdMiddleware } from '@statskit/express';
import express from 'express';

/** Build the app around a StatsClient (by default one for the etsy statsd daemon at STATSD_HOST / STATSD_PORT). */
export function createApp(stats = new StatsClient({ prefix: 'example', server: 'etsy' })) {
  const app = express();
  const metrics = statsdMiddleware({ client: stats, exclude: ['/healthz'] });
  app.use(metrics);
  app.use(express.json());

  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });

  const users = express.Router();
  users.get('/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  users.get('/:id/orders/:orderId', (req, res) => {
    res.json({ user: req.params.id, order: req.params.orderId });
  });
  users.post('/', (req, res) => {
    req.stats.incr('signups'); // your own metrics through the same client
    res.status(201).json({ created: true, name: req.body?.name ?? null });
  });

  const v1 = express.Router();
  v1.use('/users', users);
  const api = express.Router();
  api.use('/v1', v1);
  app.use('/api', api);

  app.get('/boom', () => {
    throw new Error('boom');
  });
  // Answers the headers at once and the rest `ms` later (at most 5 s): a request still in flight.
  app.get('/slow', (req, res) => {
    res.status(200).type('text').write('working...');
    setTimeout(() => res.end(' done'), Math.min(Number(req.query.ms) || 100, 5000));
  });
  app.get('/teapot', () => {
    throw Object.assign(new Error("I'm a teapot"), { status: 418 });
  });

  return { app, metrics, stats };
}

/**
 * Listen on `port` (0: any free one). Resolves with the URL, the server and a close() that drops open
 * connections and flushes the metrics (for tests).
 */
export async function start({ port = Number(process.env.PORT ?? 3000), stats } = {}) {
  const { app, metrics } = createApp(stats);
  const server = app.listen(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await metrics.close();
  };
  return { url, server, metrics, close };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url, server, metrics } = await start();
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish (10 s at most), send the pending
  // metrics, then exit as the signal would. (A bare `process.on('SIGTERM', ...)` would keep the server
  // running with its metrics closed.)
  closeOnSignal(server, metrics);
  console.log(`listening on ${url}`);
}
