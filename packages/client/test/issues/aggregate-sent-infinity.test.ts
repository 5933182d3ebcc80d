/**
 * Regression (issue 12, item 19): in aggregate mode a sum of finite values can overflow — `incr('c', 1e308)`
 * twice sent `c:Infinity|c`; gauge deltas and timer summaries did the same (a summary's min/max/pNN even
 * for a single 1e306 sample, through the rounding). An aggregate that overflows is now reported as
 * STATSKIT_ERR_OVERFLOW, counted in `droppedBy.overflow`, and never sent; the rest of the interval is.
 */
import { type ClientOptions, InvalidMetricError, StatsClient, type StatsError } from '@statskit/client';
import { parseLine } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';
import { type UdpReceiver, udpReceiver } from '../helpers/udp-receiver.js';

function client(rx: UdpReceiver, options: ClientOptions) {
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    host: rx.address,
    port: rx.port,
    flushInterval: 60_000,
    ...options,
    onError: (e) => errors.push(e),
  });
  return { stats, errors };
}

/** Flush, wait for `n` lines on the wire, and return them sorted. */
async function sent(stats: StatsClient, rx: UdpReceiver, n: number): Promise<string[]> {
  await stats.flush();
  await rx.waitForLines(n);
  const lines = [...rx.lines].sort();
  rx.clear();
  return lines;
}

const BIG = 1e308;

describe('aggregate: an overflowing aggregate is reported and never sent', () => {
  test('counters (incr, decr, sampled): no Infinity on the wire, one STATSKIT_ERR_OVERFLOW each', async () => {
    await using rx = await udpReceiver();
    const { stats, errors } = client(rx, { aggregate: true, random: () => 0 });
    stats.incr('c', BIG);
    stats.incr('c', BIG);
    stats.decr('d', BIG);
    stats.decr('d', BIG);
    stats.incr('s', BIG, { rate: 0.5 }); // weighted by 1/rate: 2e308
    stats.incr('ok', BIG);
    stats.incr('ok', 1);
    expect(await sent(stats, rx, 1)).toEqual(['ok:1e+308|c']);
    expect(errors.map((e) => [e.code, (e as InvalidMetricError).metric])).toEqual([
      ['STATSKIT_ERR_OVERFLOW', 'c'],
      ['STATSKIT_ERR_OVERFLOW', 'd'],
      ['STATSKIT_ERR_OVERFLOW', 's'],
    ]);
    expect(errors[0]).toBeInstanceOf(InvalidMetricError);
    expect(errors[0]?.message).toBe(
      "statskit: aggregated counter c overflowed (the interval's sum is Infinity); not sent",
    );
    const t = stats.telemetry();
    expect(t.droppedBy.overflow).toBe(3);
    expect(t.linesDropped).toBe(3);
    // the next interval starts from zero
    stats.incr('c', 2);
    expect(await sent(stats, rx, 1)).toEqual(['c:2|c']);
    await stats.close();
  });

  test('gauges: deltas alone, and an absolute value plus deltas', async () => {
    await using rx = await udpReceiver();
    const { stats, errors } = client(rx, { aggregate: true, prefix: 'app' });
    stats.gaugeDelta('up', BIG);
    stats.gaugeDelta('up', BIG);
    stats.gaugeDelta('down', -BIG);
    stats.gaugeDelta('down', -BIG);
    stats.gauge('abs', BIG);
    stats.gaugeDelta('abs', BIG);
    stats.gauge('neg', -BIG);
    stats.gaugeDelta('neg', -BIG);
    stats.gauge('fine', BIG);
    stats.gaugeDelta('fine', -BIG);
    expect(await sent(stats, rx, 1)).toEqual(['app.fine:0|g']);
    expect(errors.map((e) => [e.code, (e as InvalidMetricError).metric])).toEqual([
      ['STATSKIT_ERR_OVERFLOW', 'app.up'],
      ['STATSKIT_ERR_OVERFLOW', 'app.down'],
      ['STATSKIT_ERR_OVERFLOW', 'app.abs'],
      ['STATSKIT_ERR_OVERFLOW', 'app.neg'],
    ]);
    expect(stats.telemetry().droppedBy.overflow).toBe(4);
    await stats.close();
  });

  test('timer summaries: the mean of huge samples is reported, count/min/max/percentiles are sent finite', async () => {
    await using rx = await udpReceiver();
    const { stats, errors } = client(rx, { aggregate: { timers: 'summary', percentiles: [0.5] } });
    stats.timing('t', BIG);
    stats.timing('t', BIG);
    stats.histogram('h', 1e306); // one sample: rounding it to the µs used to overflow
    stats.distribution('d', -BIG);
    stats.distribution('d', -BIG);
    const lines = await sent(stats, rx, 13);
    expect(lines).toEqual(
      [
        't.count:2|c',
        't.min:1e+308|g',
        't.max:1e+308|g',
        't.p50:1e+308|g',
        'h.count:1|c',
        'h.min:1e+306|g',
        'h.max:1e+306|g',
        'h.mean:1e+306|g',
        'h.p50:1e+306|g',
        'd.count:2|c',
        'd.min:-1e+308|g',
        'd.max:-1e+308|g',
        'd.p50:-1e+308|g',
      ].sort(),
    );
    for (const line of lines) expect(parseLine(line), line).toBeDefined();
    expect(errors.map((e) => [e.code, (e as InvalidMetricError).metric])).toEqual([
      ['STATSKIT_ERR_OVERFLOW', 't.mean'],
      ['STATSKIT_ERR_OVERFLOW', 'd.mean'],
    ]);
    expect(stats.telemetry().droppedBy.overflow).toBe(2);
    await stats.close();
  });

  test('client telemetry sends the drop as statskit.client.lines_dropped with reason:overflow', async () => {
    await using rx = await udpReceiver();
    const { stats } = client(rx, { aggregate: true, telemetryInterval: 60_000 });
    stats.incr('c', BIG);
    stats.incr('c', BIG);
    await stats.flush(); // the overflow happens here
    await stats.close(); // a last telemetry report
    await rx.waitFor(() => rx.lines.some((l) => l.startsWith('statskit.client.lines_dropped')));
    expect(rx.lines.filter((l) => l.startsWith('statskit.client.lines_dropped'))).toEqual([
      'statskit.client.lines_dropped:1|c|#transport:udp,reason:overflow',
    ]);
  });

  test('sets of huge numbers are members like any other: sent, no error', async () => {
    await using rx = await udpReceiver();
    const { stats, errors } = client(rx, { aggregate: true });
    stats.set('u', BIG);
    stats.set('u', BIG);
    stats.set('u', -BIG);
    expect(await sent(stats, rx, 2)).toEqual(['u:-1e+308|s', 'u:1e+308|s']);
    expect(errors).toEqual([]);
    await stats.close();
  });
});
