/** timer(), time() and the timed() decorator: what they return, what they send, and what they re-throw. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, type StatsClient } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import type { makeRepo } from './fixtures/timed-repo.js';
import { drain, udpClient } from './helpers/client.js';
import { sleep, udpReceiver } from './helpers/udp-receiver.js';

/** A few ms of real work, so that even a coarse clock moves. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** The `|ms` value of every line for `name`. */
function timings(stats: ReturnType<typeof createTestClient>, name: string): number[] {
  return stats.metrics.filter((m) => m.name === name && m.type === 'ms').map((m) => m.value as number);
}

describe('timer()', () => {
  test('stop() returns the elapsed ms (> 0) and sends it once as |ms, over UDP', async () => {
    await using rx = await udpReceiver();
    await using c = udpClient(rx, { prefix: 'app' });
    const t = c.stats.timer('render', { tags: { page: 'home' } });
    busy(3);
    const ms = t.stop();
    expect(ms).toBeGreaterThanOrEqual(3);
    expect(t.stop()).toBe(ms); // a second stop returns the same value...
    expect(t.stop()).toBe(ms);
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.text)).toEqual([`app.render:${ms}|ms|#page:home`]); // ...and sends nothing
  });

  test('measures from timer() to stop(), across awaits', async () => {
    const stats = createTestClient();
    const t = stats.timer('wait');
    await sleep(20);
    const ms = t.stop();
    expect(ms).toBeGreaterThanOrEqual(15);
    expect(timings(stats, 'wait')).toEqual([ms]);
  });

  test('stop may be handed on detached, as a callback (it was always an own, bound function)', () => {
    const stats = createTestClient();
    const { stop } = stats.timer('detached');
    const ms = stop();
    expect(stop()).toBe(ms);
    expect(timings(stats, 'detached')).toEqual([ms]);
  });

  test('independent timers do not share state', () => {
    const stats = createTestClient();
    const a = stats.timer('a');
    busy(2);
    const b = stats.timer('b');
    const bMs = b.stop();
    busy(1);
    const aMs = a.stop();
    expect(aMs).toBeGreaterThan(bMs);
    expect(stats.lines).toEqual([`b:${bMs}|ms`, `a:${aMs}|ms`]);
  });
});

describe('time()', () => {
  test('a sync function: its result is returned as is, and timed', () => {
    const stats = createTestClient();
    const result = { rows: [1, 2] };
    const out = stats.time('q', () => {
      busy(1);
      return result;
    });
    expect(out).toBe(result);
    const [ms] = timings(stats, 'q');
    expect(ms).toBeGreaterThan(0);
    expect(stats.lines).toHaveLength(1);
  });

  test('an async function: the promise resolves to its value, timed when it settles', async () => {
    const stats = createTestClient();
    const value = { id: 7 };
    const p = stats.time('q', async () => {
      await sleep(20);
      return value;
    });
    expect(p).toBeInstanceOf(Promise);
    expect(stats.lines).toEqual([]); // not yet: it has not settled
    expect(await p).toBe(value);
    const [ms] = timings(stats, 'q');
    expect(ms).toBeGreaterThanOrEqual(15);
  });

  test('a sync throw is timed, with errorTags, and re-thrown as the same object', () => {
    const stats = createTestClient({ tags: { svc: 'api' } });
    const boom = new TypeError('boom');
    let caught: unknown;
    try {
      stats.time(
        'q',
        () => {
          throw boom;
        },
        { tags: { db: 'pg', outcome: 'ok' }, errorTags: { outcome: 'error' } },
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(boom);
    expect(stats.metrics).toHaveLength(1);
    expect(stats.metrics[0]?.tags).toEqual({ svc: 'api', db: 'pg', outcome: 'error' });
  });

  test('a rejection is timed, with errorTags, and re-thrown as the same object', async () => {
    const stats = createTestClient();
    const boom = new Error('nope');
    const p = stats.time(
      'q',
      async () => {
        await sleep(1);
        throw boom;
      },
      { errorTags: ['outcome:error', 'failed'] },
    );
    await expect(p).rejects.toBe(boom);
    expect(stats.metrics).toHaveLength(1);
    expect(stats.metrics[0]).toMatchObject({
      name: 'q',
      type: 'ms',
      tags: { outcome: 'error', failed: true },
    });
  });

  test('a thrown non-Error value is re-thrown unchanged', async () => {
    const stats = createTestClient();
    expect(() =>
      stats.time('q', () => {
        throw 'a string';
      }),
    ).toThrow('a string');
    await expect(stats.time('q', () => Promise.reject(42))).rejects.toBe(42);
    expect(timings(stats, 'q')).toHaveLength(2);
  });

  test('errorTags are added only on failure', async () => {
    const stats = createTestClient();
    const opts = { tags: { db: 'pg' }, errorTags: { outcome: 'error' } };
    stats.time('sync', () => 1, opts);
    await stats.time('async', async () => 1, opts);
    expect(stats.metrics.map((m) => m.tags)).toEqual([{ db: 'pg' }, { db: 'pg' }]);
  });

  test('the per-call rate applies to the timing', () => {
    const stats = createTestClient({ random: () => 0 });
    stats.time('q', () => 1, { rate: 0.5 });
    expect(stats.metrics[0]?.rate).toBe(0.5);
  });
});

/** Compile the fixture with TypeScript (standard decorators, ES2022 output) and import it. */
async function compileRepo(): Promise<typeof makeRepo> {
  const source = readFileSync(new URL('./fixtures/timed-repo.ts', import.meta.url), 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  expect(out.outputText).toContain('__esDecorate'); // really the TC39 form, not legacy decorators
  writeFileSync(join(dir, 'timed-repo.mjs'), out.outputText);
  const mod = (await import(pathToFileURL(join(dir, 'timed-repo.mjs')).href)) as {
    makeRepo: typeof makeRepo;
  };
  return mod.makeRepo;
}
const dir = mkdtempSync(join(tmpdir(), 'statskit-timed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('timed() as a TC39 decorator (compiled by TypeScript)', () => {
  test('sync method: this, arguments and the result pass through; one timing per call', async () => {
    const makeRepo = await compileRepo();
    const stats = createTestClient({ prefix: 'app' });
    const repo = new (makeRepo(stats))('users');
    expect(repo.find('1')).toBe('users/1');
    expect(repo.find('2', '?x')).toBe('users/2?x');
    expect(repo.calls).toBe(2);
    expect(timings(stats, 'app.repo.find')).toHaveLength(2);
    expect(stats.lines).toHaveLength(2);
  });

  test('async method: resolved value, rejection re-thrown as is, errorTags only on failure', async () => {
    const makeRepo = await compileRepo();
    const stats = createTestClient();
    const repo = new (makeRepo(stats))('users');
    const row = await repo.load('1');
    expect(row).toEqual({ id: '1' });
    const failure = repo.load('missing');
    await expect(failure).rejects.toBeInstanceOf(RangeError);
    await expect(failure).rejects.toThrow('no missing');
    expect(stats.metrics.map((m) => [m.name, m.tags])).toEqual([
      ['repo.load', { db: 'pg' }],
      ['repo.load', { db: 'pg', outcome: 'error' }],
    ]);
  });

  test('static method', async () => {
    const makeRepo = await compileRepo();
    const stats = createTestClient();
    expect(makeRepo(stats).ping()).toBe('pong');
    expect(timings(stats, 'repo.ping')).toHaveLength(1);
  });
});

describe('timed() called by hand', () => {
  class Service {
    factor = 3;
    times(n: number): number {
      return n * this.factor;
    }
    async later(n: number): Promise<number> {
      await sleep(1);
      if (n < 0) throw new RangeError('negative');
      return n * this.factor;
    }
    get value(): number {
      return this.factor;
    }
  }

  function legacyDecorate(stats: StatsClient, key: 'times' | 'later', name: string): void {
    const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, key) as PropertyDescriptor;
    const out = stats.timed(name, { errorTags: { outcome: 'error' } })(Service.prototype, key, descriptor);
    expect(out).not.toBe(descriptor);
    expect(out.enumerable).toBe(descriptor.enumerable);
    expect(out.writable).toBe(descriptor.writable);
    Object.defineProperty(Service.prototype, key, out);
  }

  test('legacy form (target, key, descriptor): sync and async methods', async () => {
    const stats = createTestClient();
    const original = { times: Service.prototype.times, later: Service.prototype.later };
    try {
      legacyDecorate(stats, 'times', 'svc.times');
      legacyDecorate(stats, 'later', 'svc.later');
      const s = new Service();
      expect(s.times(2)).toBe(6);
      expect(await s.later(5)).toBe(15);
      const err = await s.later(-1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect(stats.metrics.map((m) => [m.name, m.tags])).toEqual([
        ['svc.times', {}],
        ['svc.later', {}],
        ['svc.later', { outcome: 'error' }],
      ]);
    } finally {
      Object.assign(Service.prototype, original);
    }
  });

  test('TC39 form (method, context)', () => {
    const stats = createTestClient();
    const context = { kind: 'method', name: 'times', static: false, private: false } as const;
    const wrapped = stats.timed('svc.times')(
      Service.prototype.times,
      context as unknown as ClassMethodDecoratorContext<Service, (this: Service, n: number) => number>,
    );
    expect(wrapped.call(new Service(), 4)).toBe(12);
    expect(timings(stats, 'svc.times')).toHaveLength(1);
  });

  test('decorating a getter (legacy) throws InvalidOptionError at decoration time', () => {
    const stats = createTestClient();
    const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, 'value') as PropertyDescriptor;
    expect(() => stats.timed('v')(Service.prototype, 'value', descriptor)).toThrow(InvalidOptionError);
  });
});
