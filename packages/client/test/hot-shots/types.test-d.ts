/**
 * The hot-shots class's methods share one call-signature type per family (`MetricCall`, `CountCall`,
 * `TimerCall`): every argument form hot-shots documents type-checks, wrong types do not.
 */
import StatsD, { type TimerContext } from '@statskit/client/hot-shots';
import { expectTypeOf, test } from 'vitest';

test('every documented argument form compiles; a wrong value or rate does not', () => {
  const c = new StatsD({ mock: true });
  const cb = (_err?: Error | null, _bytes?: number): void => {};
  c.increment('a');
  c.increment('a', ['t']);
  c.increment('a', cb);
  c.increment('a', 2);
  c.increment('a', 2, 0.5, ['t'], cb);
  c.increment('a', 2, { sampleRate: 0.5, tags: { k: 'v' }, timestamp: new Date() }, cb);
  c.decrement(['a', 'b'], 1, { k: 'v' });
  c.timing('t', new Date(), 0.5);
  c.timing('t', 5, cb);
  c.set('s', 'm', cb);
  c.unique('s', 4, ['t']);
  c.gauge('g', 1, 0.5, cb);
  c.gaugeDelta('g', -1, { timestamp: 1700000000 });
  c.histogram('h', 1, ['t'], cb);
  c.distribution('d', 1);
  // @ts-expect-error a gauge takes a number
  c.gauge('g', 'x');
  // @ts-expect-error a sample rate is a number
  c.histogram('h', 1, '0.5');
  const add = c.timer((a: number, b: number) => a + b, 'add', 0.5, ['t']);
  expectTypeOf(add(1, 2)).toEqualTypeOf<number>();
  const len = c.asyncTimer(async (x: string, _ctx: TimerContext) => x.length, 'len', { tags: ['a'] });
  expectTypeOf(len('x')).toEqualTypeOf<Promise<number>>();
  const dist = c.asyncDistTimer(async () => 'ok', 'dist', cb);
  expectTypeOf(dist()).toEqualTypeOf<Promise<string>>();
  // @ts-expect-error asyncTimer needs a function returning a promise
  c.asyncTimer(() => 1, 'sync');
  expectTypeOf(new StatsD('127.0.0.1', 8125, 'myapp')).toEqualTypeOf<StatsD>();
});
