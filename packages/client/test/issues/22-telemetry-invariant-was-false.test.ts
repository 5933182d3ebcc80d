/**
 * Regression (issue 22 item 12): the documented invariant `linesSent + linesDropped === metrics` was
 * false: lines refused before sending (invalid, too large, after close, overflowed, past maxKeys)
 * counted in `linesDropped` but not in `metrics` (`incr('x', NaN)` → 0 / 0 / 1). They count in
 * `metrics` now: every line the client was given is sent or dropped. Real UDP receiver, real TCP
 * server for carbon.
 */
import { StatsClient } from '@statskit/client';
import { expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';
import { udpReceiver } from '../helpers/udp-receiver.js';

function invariant(stats: StatsClient): void {
  const t = stats.telemetry();
  expect(t.queueBytes).toBe(0);
  expect(t.linesSent + t.linesDropped).toBe(t.metrics);
}

test.each([
  { aggregate: false as const },
  {}, // the default aggregation
])('statsd (%o): every refusal counts in metrics', async (options) => {
  await using rx = await udpReceiver();
  const stats = new StatsClient({ port: rx.port, maxPacketSize: 512, onError: () => {}, ...options });
  stats.incr('x', Number.NaN); // invalid
  stats.timing('t', -1); // invalid
  stats.incr('', 1); // invalid name
  stats.gauge('big', 1, { tags: { v: 'x'.repeat(600) } }); // too large
  stats.incr('sum', 1e308); // aggregated: overflows to Infinity
  stats.incr('sum', 1e308);
  stats.incr('ok');
  stats.gauge('g', -5); // two lines
  await stats.close();
  stats.incr('late'); // after close
  const t = stats.telemetry();
  expect(t.linesDropped).toBeGreaterThanOrEqual(5);
  expect(t.droppedBy.invalid).toBe(3);
  expect(t.droppedBy.closed).toBe(1);
  invariant(stats);
});

test('carbon: refused series, overflows and invalid calls count in metrics', async () => {
  await using srv = await streamServer();
  const stats = new StatsClient({
    carbon: { port: srv.port, maxKeys: 2, interval: 60_000 },
    onError: () => {},
  });
  stats.incr('a');
  stats.incr('b', 1e308);
  stats.incr('b', 1e308); // .count / .delta / rates overflow
  stats.incr('c'); // past maxKeys
  stats.gauge('x', Number.NaN);
  await stats.close();
  stats.gauge('late', 1);
  const t = stats.telemetry();
  expect(t.droppedBy.overflow).toBeGreaterThan(1);
  expect(t.droppedBy.invalid).toBe(1);
  invariant(stats);
});
