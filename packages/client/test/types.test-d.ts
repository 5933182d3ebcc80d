/** Type tests for the public API (vitest typecheck): what compiles, what it returns, and what must not compile. */
import {
  type ClientOptions,
  type ErrorCode,
  ErrorCodes,
  InvalidOptionError,
  type MetricOptions,
  StatsClient,
  StatsError,
  type TagFormat,
  type Tags,
  type Telemetry,
  type TimedDecorator,
  type Timer,
} from '@statskit/client';
import {
  createTestClient,
  type ParsedMetric,
  parseLine,
  type TestStatsClient,
} from '@statskit/client/testing';
import { describe, expectTypeOf, test } from 'vitest';

const stats = new StatsClient({ prefix: 'app', tags: { env: 'prod' } });

describe('StatsClient', () => {
  test('construction', () => {
    expectTypeOf(StatsClient).constructorParameters.toEqualTypeOf<[options?: ClientOptions]>();
    expectTypeOf(new StatsClient()).toEqualTypeOf<StatsClient>();
    expectTypeOf<ClientOptions['tagFormat']>().toEqualTypeOf<TagFormat | undefined>();
    expectTypeOf<TagFormat>().toEqualTypeOf<'datadog' | 'telegraf' | 'graphite' | 'none'>();
    expectTypeOf<ClientOptions['onError']>().toEqualTypeOf<((err: StatsError) => void) | undefined>();
    // @ts-expect-error: not a tag format
    new StatsClient({ tagFormat: 'influx' });
    // a port is a number or a string of digits (an env var's value)
    expectTypeOf<ClientOptions['port']>().toEqualTypeOf<number | string | undefined>();
    new StatsClient({ port: '8125', onErrorInterval: 10_000 });
    // @ts-expect-error: the port is a number or a string
    new StatsClient({ port: true });
    expectTypeOf<StatsError['suppressed']>().toEqualTypeOf<number | undefined>();
    expectTypeOf(ErrorCodes.OVERFLOW).toEqualTypeOf<'STATSKIT_ERR_OVERFLOW'>();
    expectTypeOf(ErrorCodes.UNKNOWN_OPTION).toEqualTypeOf<'STATSKIT_ERR_UNKNOWN_OPTION'>();
  });

  test('metric methods return void and take (name, value, opts)', () => {
    expectTypeOf(stats.incr).toEqualTypeOf<(name: string, value?: number, opts?: MetricOptions) => void>();
    expectTypeOf(stats.decr).toEqualTypeOf<(name: string, value?: number, opts?: MetricOptions) => void>();
    for (const m of [stats.gauge, stats.gaugeDelta, stats.timing, stats.histogram, stats.distribution]) {
      expectTypeOf(m).toEqualTypeOf<(name: string, value: number, opts?: MetricOptions) => void>();
    }
    expectTypeOf(stats.set).toEqualTypeOf<
      (name: string, value: string | number, opts?: MetricOptions) => void
    >();
    expectTypeOf<MetricOptions['rate']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MetricOptions['tags']>().toEqualTypeOf<Tags | undefined>();
    expectTypeOf<Tags>().toEqualTypeOf<
      | Readonly<Record<string, string | number | boolean>>
      | readonly string[]
      | ReadonlyMap<string, string | number | boolean>
    >();
    stats.incr('a', 1, { rate: 0.5, tags: { k: 'v', n: 1, flag: true } });
    stats.incr('a', 1, { tags: ['k:v', 'flag'] });
    stats.incr('a', 1, { tags: new Map([['k', 'v']]) });
    // @ts-expect-error: a name is a string
    stats.incr(1);
    // @ts-expect-error: a gauge needs a value
    stats.gauge('g');
    // @ts-expect-error: a set member is a string or a number
    stats.set('s', true);
    // @ts-expect-error: a rate is a number
    stats.incr('a', 1, { rate: '0.5' });
    // @ts-expect-error: tag values are strings, numbers or booleans
    stats.incr('a', 1, { tags: { k: {} } });
  });

  test('timers', () => {
    expectTypeOf(stats.timer('t')).toEqualTypeOf<Timer>();
    expectTypeOf(stats.timer('t').stop()).toEqualTypeOf<number>();
    expectTypeOf(stats.time('t', () => 42)).toEqualTypeOf<number>();
    expectTypeOf(stats.time('t', async () => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(stats.time('t', () => undefined, { errorTags: { outcome: 'error' } })).toBeUndefined();
    expectTypeOf(stats.timed('t')).toEqualTypeOf<TimedDecorator>();
  });

  test('child, flush, close, telemetry', () => {
    expectTypeOf(stats.child({ prefix: 'db', tags: ['a:b'], sampleRate: 0.5 })).toEqualTypeOf<StatsClient>();
    expectTypeOf(stats.child()).toEqualTypeOf<StatsClient>();
    expectTypeOf(stats.flush()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(stats.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(stats.closed).toEqualTypeOf<boolean>();
    expectTypeOf(stats.telemetry()).toEqualTypeOf<Telemetry>();
    expectTypeOf(stats.telemetry().droppedBy.dns).toEqualTypeOf<number>();
    // @ts-expect-error: child options do not take a host
    stats.child({ host: 'x' });
  });
});

describe('errors', () => {
  test('codes are string literals', () => {
    expectTypeOf(ErrorCodes.CLOSED).toEqualTypeOf<'STATSKIT_ERR_CLOSED'>();
    expectTypeOf(ErrorCodes.DNS).toEqualTypeOf<'STATSKIT_ERR_DNS'>();
    expectTypeOf<StatsError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<'STATSKIT_ERR_SEND'>().toExtend<ErrorCode>();
    expectTypeOf<'NOPE'>().not.toExtend<ErrorCode>();
    expectTypeOf(new InvalidOptionError('x')).toExtend<StatsError>();
    expectTypeOf(StatsError.is).guards.toEqualTypeOf<StatsError>();
  });
});

describe('@statskit/client/testing', () => {
  test('the test client is a StatsClient that records parsed metrics', () => {
    const t = createTestClient({ prefix: 'app' });
    expectTypeOf(t).toEqualTypeOf<TestStatsClient>();
    expectTypeOf(t).toExtend<StatsClient>();
    expectTypeOf(t.lines).toEqualTypeOf<string[]>();
    expectTypeOf(t.metrics).toEqualTypeOf<ParsedMetric[]>();
    expectTypeOf(t.errors).toEqualTypeOf<StatsError[]>();
    expectTypeOf(parseLine('a:1|c')).toEqualTypeOf<ParsedMetric | undefined>();
    expectTypeOf(parseLine).parameter(1).toEqualTypeOf<TagFormat | undefined>();
    expectTypeOf<ParsedMetric['value']>().toEqualTypeOf<number | string>();
  });
});
