/** telemetryInterval: the client's own counters as `statskit.client.*` metrics. */
import { MemoryTransport, parseLine, StatsClient, type StatsError } from '@statskit/client';
import { afterEach, describe, expect, test, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

function setup(options: ConstructorParameters<typeof StatsClient>[0] = {}) {
  const memory = new MemoryTransport();
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    aggregate: false,
    batching: false,
    prefix: 'app',
    tags: { env: 'test' },
    telemetryInterval: 1000,
    ...options,
    transport: memory,
    onError: (e) => errors.push(e),
  });
  /** Telemetry lines by name (+ reason tag) → value, from the emissions so far. */
  const emitted = () =>
    memory.lines
      .map((l) => parseLine(l))
      .filter((m) => m?.name.startsWith('statskit.client.'))
      .map((m) => m as NonNullable<typeof m>);
  return { stats, memory, errors, emitted };
}

describe('telemetryInterval', () => {
  test('off by default: no timer, nothing extra sent', async () => {
    vi.useFakeTimers();
    const memory = new MemoryTransport();
    const stats = new StatsClient({ aggregate: false, transport: memory, batching: false });
    stats.incr('x');
    vi.advanceTimersByTime(60_000);
    await stats.close();
    expect(memory.lines).toEqual(['x:1|c']);
  });

  test('emits counter deltas and the queue gauge every interval, unprefixed, tagged transport:<kind>', () => {
    vi.useFakeTimers();
    const { stats, emitted } = setup();
    stats.incr('a');
    stats.incr('b', 1, { rate: 0.5 });
    stats.incr('bad', Number.NaN);
    vi.advanceTimersByTime(1000);
    const first = emitted();
    const names = first.map((m) => m.name);
    expect(names).toEqual([
      'statskit.client.metrics',
      'statskit.client.sampled_out',
      'statskit.client.aggregated',
      'statskit.client.packets_sent',
      'statskit.client.lines_sent',
      'statskit.client.bytes_sent',
      'statskit.client.packets_dropped',
      'statskit.client.bytes_dropped',
      'statskit.client.errors',
      'statskit.client.lines_dropped',
      'statskit.client.queue_bytes',
    ]);
    for (const m of first)
      expect(m.tags).toEqual(
        m.name.endsWith('lines_dropped')
          ? { env: 'test', transport: 'custom', reason: 'invalid' }
          : { env: 'test', transport: 'custom' },
      );
    const value = (name: string) => first.find((m) => m.name === `statskit.client.${name}`)?.value;
    const t = stats.telemetry();
    expect(value('lines_dropped')).toBe(1);
    expect(value('errors')).toBe(1);
    expect(value('queue_bytes')).toBe(0);
    expect(first.find((m) => m.name.endsWith('queue_bytes'))?.type).toBe('g');
    expect(value('sampled_out')).toBe(t.sampledOut);
    // the NaN counts too: refused lines are in `metrics`, so linesSent + linesDropped === metrics
    expect(value('metrics')).toBe(3 - t.sampledOut);

    // The second emission carries only what changed since the first (including the first's own lines).
    vi.advanceTimersByTime(1000);
    const second = emitted().slice(first.length);
    const v2 = (name: string) => second.find((m) => m.name === `statskit.client.${name}`)?.value;
    expect(v2('metrics')).toBe(first.length);
    expect(v2('lines_sent')).toBe(first.length);
    expect(v2('errors')).toBe(0);
    expect(second.some((m) => m.name.endsWith('lines_dropped'))).toBe(false);
  });

  test('close() emits a last time and stops the timer', async () => {
    vi.useFakeTimers();
    const { stats, memory, errors } = setup();
    stats.incr('a');
    await stats.close();
    const n = memory.lines.length;
    expect(memory.lines.some((l) => l.startsWith('statskit.client.metrics:1|c'))).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(memory.lines.length).toBe(n);
    expect(errors).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('never sampled, even when the client is; child clients do not start more reporters', () => {
    vi.useFakeTimers();
    const { stats, emitted } = setup({ sampleRate: 0.01, random: () => 0.5 });
    stats.child({ prefix: 'c' });
    stats.child({ prefix: 'd' });
    vi.advanceTimersByTime(1000);
    expect(emitted().filter((m) => m.name === 'statskit.client.metrics')).toHaveLength(1);
  });
});
