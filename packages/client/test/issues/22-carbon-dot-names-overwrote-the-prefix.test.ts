/**
 * Regression (issue 22 item 14): in carbon mode the names `'.'` and `'...'` collapsed (Graphite has no
 * empty segments) onto the bare prefix path — `shop 5 <ts>`, `shop.count …` — and overwrote the
 * series stored there. A name of dots only is refused (`STATSKIT_ERR_INVALID_NAME`, counted as
 * invalid); nothing is written for it. Lines read by a real TCP server.
 */
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';

test("names '.' and '...' are refused, never written as the prefix's own series", async () => {
  await using srv = await streamServer();
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    carbon: { port: srv.port, interval: 60_000 },
    prefix: 'shop',
    onError: (e) => errors.push(e),
    onErrorInterval: 0,
  });
  stats.gauge('.', 5);
  stats.incr('...');
  stats.child({ prefix: 'api' }).timing('..', 3);
  stats.gauge('ok..name.', 1); // empty segments inside a real name still collapse
  await stats.close();
  expect(errors.map((e) => e.code)).toEqual([
    ErrorCodes.INVALID_NAME,
    ErrorCodes.INVALID_NAME,
    ErrorCodes.INVALID_NAME,
  ]);
  expect(stats.telemetry().droppedBy.invalid).toBe(3);
  const paths = srv.lines.map((l) => l.split(' ')[0]);
  expect(paths).toEqual(['shop.ok.name']);
});
