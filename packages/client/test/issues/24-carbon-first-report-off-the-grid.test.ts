/**
 * Regression (issue 24 item 11): the carbon reporter's first report was stamped with the second the
 * client was made in and covered everything up to the next grid point, so with 1-second retention the
 * second after the first metric had no point (stamps 224, 226, 227…). Every report is now stamped on
 * the interval grid: the first metric's second first, then one point per second. Lines read by a real
 * TCP server.
 */
import { StatsClient } from '@statskit/client';
import { expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a point every second, from the second of the first metric', async () => {
  await using srv = await streamServer();
  const stats = new StatsClient({ carbon: { port: srv.port, interval: 1000 }, onError: () => {} });
  await sleep(1300); // the client's own second is long past when the first metric comes
  const first = Date.now();
  stats.gauge('depth', 1);
  await srv.waitFor(() => srv.lines.length >= 3, 8000, 'three reports');
  await stats.close();
  const stamps = [...new Set(srv.lines.map((l) => Number(l.split(' ')[2])))];
  expect(stamps[0]).toBe(Math.floor(first / 1000));
  for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBe((stamps[0] as number) + i);
});
