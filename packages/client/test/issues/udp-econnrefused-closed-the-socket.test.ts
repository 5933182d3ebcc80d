/**
 * Regression: ECONNREFUSED (ICMP port-unreachable for an earlier packet) comes back on a connected UDP
 * socket's read side, as an 'error' event. The UDP transport reported it as STATSKIT_ERR_SOCKET and
 * closed and re-created the socket for every refused packet while statsd was down.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { expect, test } from 'vitest';
import { sleep, udpReceiver } from '../helpers/udp-receiver.js';

const causeCode = (e: StatsError): unknown => (e.cause as NodeJS.ErrnoException | undefined)?.code;

test('a statsd restart is a refused send (STATSKIT_ERR_SEND), not a dead socket: same socket before and after', async () => {
  const first = await udpReceiver();
  const { port } = first;
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    aggregate: false,
    host: '127.0.0.1',
    port,
    batching: false,
    onError: (e) => errors.push(e),
  });
  stats.incr('up');
  await first.waitFor(() => first.packets.length === 1);
  const source = first.packets[0]?.from;
  await first.close(); // statsd stops
  for (let i = 0; i < 3; i++) {
    stats.incr('down');
    await sleep(15);
  }
  await using second = await udpReceiver('udp4', port); // and comes back on the same port
  for (let i = 0; i < 3; i++) stats.incr('back');
  await second.waitFor(() => second.packets.length === 3);
  expect(second.packets.map((p) => [p.text, p.from])).toEqual([
    ['back:1|c', source],
    ['back:1|c', source],
    ['back:1|c', source],
  ]);
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.map((e) => [e.code, causeCode(e)])).toEqual(
    errors.map(() => ['STATSKIT_ERR_SEND', 'ECONNREFUSED']),
  );
  await stats.close();
});
