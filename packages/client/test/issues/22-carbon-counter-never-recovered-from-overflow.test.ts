/**
 * Regression (issue 22 item 10): after two `incr('orders', 1e308)` a carbon counter's total stayed
 * Infinity: `.count`, `.mean_rate` and the m1/m5/m15 rates were never sent again and
 * `STATSKIT_ERR_OVERFLOW` fired every interval, forever. As docs/errors.md says, the interval that
 * overflowed is reported (its lines are not sent) and the next one starts afresh. The same for a gauge
 * pushed to ±Infinity by deltas. Lines read by a real TCP server.
 */
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';

test('a counter and a gauge that overflowed report again from the next interval', async () => {
  await using srv = await streamServer();
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    carbon: { port: srv.port, interval: 1000 },
    onError: (e) => errors.push(e),
    onErrorInterval: 0,
  });
  stats.incr('orders', 1e308);
  stats.incr('orders', 1e308);
  stats.gaugeDelta('depth', 1e308);
  stats.gaugeDelta('depth', 1e308);
  // the interval that overflowed is reported by the scheduled report
  await srv.waitFor(() => errors.length > 0, 5000, 'the overflow report');
  const overflowed = errors.length;
  expect(errors.every((e) => e.code === ErrorCodes.OVERFLOW)).toBe(true);
  const seen = srv.lines.length;
  stats.incr('orders', 3);
  stats.gaugeDelta('depth', 2);
  // the next scheduled report: every line back, and no new overflow
  await srv.waitFor(
    () => srv.lines.slice(seen).some((l) => l.startsWith('orders.count ')),
    5000,
    'the next report',
  );
  const next = srv.lines.slice(seen);
  const value = (path: string): number | undefined => {
    const line = next.find((l) => l.startsWith(`${path} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  expect(value('orders.count')).toBe(3);
  expect(value('orders.delta')).toBe(3);
  for (const rate of ['m1_rate', 'm5_rate', 'm15_rate', 'mean_rate'])
    expect(Number.isFinite(value(`orders.${rate}`))).toBe(true);
  expect(value('depth')).toBe(2);
  expect(errors.length).toBe(overflowed);
  await stats.close();
  expect(errors.length).toBe(overflowed);
});
