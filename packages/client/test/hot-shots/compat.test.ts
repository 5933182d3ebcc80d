/**
 * `@statskit/client/hot-shots` against hot-shots' documented behaviour (its README, "Usage", "StatsD
 * methods", "Callback semantics", "Sanitization"), bytes asserted on real loopback sockets.
 */
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import StatsD, { type StatsCb, type TimerContext } from '@statskit/client/hot-shots';
import { afterEach, describe, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

const NO_DD = { includeDataDogTags: false } as const;
const clients: StatsD[] = [];
function client(opts: ConstructorParameters<typeof StatsD>[0]): StatsD {
  const c = new StatsD(opts);
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function closed(c: StatsD): Promise<Error | undefined> {
  return new Promise((resolve) => c.close(resolve));
}

describe('wire format over UDP', () => {
  test('every method, prefix and suffix with their dots, global tags as an object', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, prefix: 'app', suffix: 'sfx', globalTags: { env: 'prod' }, ...NO_DD });
    c.increment('a');
    c.increment('b', 5);
    c.decrement('c');
    c.decrement('d', 3);
    c.timing('e', 12.5);
    c.histogram('f', 3);
    c.distribution('g', 4);
    c.gauge('h', 1.5);
    c.gaugeDelta('i', 2);
    c.gaugeDelta('j', -2);
    c.set('k', 'member');
    c.unique('l', 7);
    await rx.waitForLines(12);
    expect(rx.lines).toEqual([
      'app.a.sfx:1|c|#env:prod',
      'app.b.sfx:5|c|#env:prod',
      'app.c.sfx:-1|c|#env:prod',
      'app.d.sfx:-3|c|#env:prod',
      'app.e.sfx:12.5|ms|#env:prod',
      'app.f.sfx:3|h|#env:prod',
      'app.g.sfx:4|d|#env:prod',
      'app.h.sfx:1.5|g|#env:prod',
      'app.i.sfx:+2|g|#env:prod',
      'app.j.sfx:-2|g|#env:prod',
      'app.k.sfx:member|s|#env:prod',
      'app.l.sfx:7|s|#env:prod',
    ]);
  });

  test('argument forms: value left out, sampleRate, tags array/object, options object, stat arrays', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, ...NO_DD });
    c.increment('a', ['x:1']);
    c.increment('b', { y: 2 });
    c.increment('c', 1, 0.9999999, ['t']);
    c.gauge('d', 42, { sampleRate: 0.9999999, tags: ['foo', 'bar'] });
    c.increment(['e1', 'e2'], 2);
    c.gauge('f', 42, { timestamp: new Date('2022-01-01') });
    c.increment('g', 1, { timestamp: 1640995200 });
    await rx.waitForLines(8);
    expect(rx.lines).toEqual([
      'a:1|c|#x:1',
      'b:1|c|#y:2',
      'c:1|c|@0.9999999|#t',
      'd:42|g|@0.9999999|#foo,bar',
      'e1:2|c',
      'e2:2|c',
      'f:42|g|T1640995200',
      'g:1|c|T1640995200',
    ]);
  });

  test('repeated keys in globalTags are all kept; a per-call tag replaces every global tag of its key', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, globalTags: ['a:1', 'a:2', 'b:1'], ...NO_DD });
    c.increment('x');
    c.increment('y', 1, ['a:9']);
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['x:1|c|#a:1,a:2,b:1', 'y:1|c|#b:1,a:9']);
  });

  test('tagPrefix and tagSeparator; service checks keep # and ,', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, tagPrefix: '@', tagSeparator: ';', globalTags: { a: 1 }, ...NO_DD });
    c.increment('x', 1, ['b']);
    c.check('c', c.CHECKS.WARNING, {}, ['q']);
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['x:1|c|@a:1;b', '_sc|c|1|#a:1,q']);
  });

  test('Telegraf: tags in the name, k:v written k=v and k=v kept; events and checks refused with an error', async () => {
    await using rx = await udpReceiver();
    const errors: Error[] = [];
    const c = client({
      port: rx.port,
      telegraf: true,
      globalTags: ['a=1', 'b:2'],
      errorHandler: (e) => errors.push(e),
      ...NO_DD,
    });
    c.increment('x', 1, ['c=3']);
    c.gauge('g', 5, { k: 'v' });
    let cbErr: Error | null | undefined;
    c.event('title', 'text', {}, (err) => {
      cbErr = err;
    });
    c.check('svc', 0);
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['x,a=1,b=2,c=3:1|c', 'g,a=1,b=2,k=v:5|g']);
    expect(cbErr?.message).toMatch(/not supported by Telegraf/);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/service check is not supported by Telegraf/),
    ]);
  });

  test('events and checks: prefixed and suffixed names, every option, dates rounded to the second', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, prefix: 'p', suffix: 's', globalTags: ['g'], ...NO_DD });
    c.event(
      'ti',
      'te',
      {
        date_happened: new Date(1_700_000_000_600),
        hostname: 'h',
        aggregation_key: 'k',
        priority: 'low',
        source_type_name: 'src',
        alert_type: 'error',
      },
      ['e:1'],
    );
    c.event('only');
    c.check(
      'svc.up',
      c.CHECKS.OK,
      { date_happened: new Date(1_700_000_000_600), hostname: 'h', message: 'm' },
      ['c:1'],
    );
    await rx.waitForLines(3);
    expect(rx.lines).toEqual([
      '_e{6,2}:p.ti.s|te|d:1700000001|h:h|k:k|p:low|s:src|t:error|#g,e:1',
      '_e{8,4}:p.only.s|only|#g',
      '_sc|p.svc.up.s|0|d:1700000001|h:h|#g,c:1|m:m',
    ]);
  });

  test("child clients: the child's prefix goes before its parent's, suffix after, tags override by key; nested", async () => {
    await using rx = await udpReceiver();
    const c = client({
      port: rx.port,
      prefix: 'p.',
      suffix: '.s',
      globalTags: { a: 'x', keep: 'me' },
      ...NO_DD,
    });
    const child = c.childClient({ prefix: 'c', suffix: 'cs', globalTags: ['a:y', 'z'] });
    child.increment('n', 2, ['q:1']);
    child.childClient({ prefix: 'gc.' }).increment('m');
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['c.p.n.s.cs:2|c|#keep:me,a:y,z,q:1', 'gc.c.p.m.s.cs:1|c|#keep:me,a:y,z']);
  });

  test('timing() takes a Date: the ms elapsed since it', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, ...NO_DD });
    c.timing('t', new Date(Date.now() - 50));
    await rx.waitForLines(1);
    const ms = Number(/^t:(\d+)\|ms$/.exec(rx.lines[0] as string)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(50);
  });

  test('sanitization as documented: : | \\n \\r in names, and , @ # in tags, become _', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, ...NO_DD });
    c.increment('a:b|c\nd', 1, ['k|x:v,w', 'x@y#z:1', 'url:https://e.com:8080']);
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['a_b_c_d:1|c|#k_x:v_w,x_y_z:1,url:https://e.com:8080']);
  });

  test('a small maxBufferSize is a flush threshold, not a line-size cap', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, maxBufferSize: 10, ...NO_DD });
    c.increment('a.name.much.longer.than.ten.bytes');
    c.increment('b');
    await rx.waitForLines(2);
    expect(rx.packets.map((p) => p.text)).toEqual(['a.name.much.longer.than.ten.bytes:1|c', 'b:1|c']);
  });
});

describe('callbacks', () => {
  test('unbuffered: called once, after the send, with (null, bytes); sampled out: at once with nothing', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, ...NO_DD });
    const calls: unknown[][] = [];
    c.increment('abc', 1, (...args: unknown[]) => calls.push(args));
    c.set(['foo', 'bar'], 42, (...args: unknown[]) => calls.push(args));
    c.increment('x', 1, 0.000001, (...args: unknown[]) => calls.push(['sampled', ...args]));
    expect(calls).toEqual([['sampled']]);
    await rx.waitForLines(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([
      ['sampled'],
      [null, 'abc:1|c'.length],
      [null, 'foo:42|s'.length + 'bar:42|s'.length],
    ]);
  });

  test('buffered (maxBufferSize > 0): called synchronously with no arguments', () => {
    const c = client({ port: 9, maxBufferSize: 1000, ...NO_DD });
    const calls: unknown[][] = [];
    c.increment('x', 1, (...args: unknown[]) => calls.push(args));
    expect(calls).toEqual([[]]);
  });

  test('an invalid value goes to the callback (not errorHandler), once; without a callback to errorHandler', () => {
    const handled: Error[] = [];
    const c = client({ port: 9, errorHandler: (e) => handled.push(e), ...NO_DD });
    const got: (Error | null | undefined)[] = [];
    c.gauge('g', Number.NaN, (err) => got.push(err));
    expect(got.map((e) => (e as { code?: string }).code)).toEqual(['STATSKIT_ERR_INVALID_VALUE']);
    expect(handled).toEqual([]);
    c.gauge('g', Number.NaN);
    expect(handled.map((e) => (e as { code?: string }).code)).toEqual(['STATSKIT_ERR_INVALID_VALUE']);
  });

  test('system error codes are visible: an unresolvable host gives the callback ENOTFOUND', async () => {
    const c = client({ host: 'statskit-no-such-host.invalid', errorHandler: () => {}, ...NO_DD });
    const err = await new Promise<Error | null | undefined>((resolve) =>
      c.increment('x', 1, (e) => resolve(e)),
    );
    expect((err as NodeJS.ErrnoException).code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });

  test('a callback that throws never reaches the caller', async () => {
    await using rx = await udpReceiver();
    const handled: Error[] = [];
    const c = client({ port: rx.port, errorHandler: (e) => handled.push(e), ...NO_DD });
    const boom: StatsCb = () => {
      throw new Error('boom');
    };
    expect(() => c.increment('x', 1, 0.000001, boom)).not.toThrow();
    expect((handled[0] as { code?: string }).code).toBe('STATSKIT_ERR_CALLBACK');
  });
});

describe('options', () => {
  test('invalid options are reported through errorHandler, not thrown, and replaced by their default', async () => {
    const errors: Error[] = [];
    const c = client({
      // @ts-expect-error a string port, as from an environment variable gone wrong
      port: 'abc',
      sampleRate: 0,
      errorHandler: (e) => errors.push(e),
      ...NO_DD,
    });
    await Promise.resolve();
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/sampleRate/),
      expect.stringMatching(/port/),
    ]);
    expect(c).toBeInstanceOf(StatsD);
  });

  test('options statskit cannot honour are reported once each', async () => {
    const errors: Error[] = [];
    client({
      mock: true,
      datadog: true,
      udsRetryOptions: {},
      aggregation: true,
      // hot-shots also takes a dgram socket of your own; typed out here, so a JavaScript user's call
      ...({ socket: {} } as object),
      errorHandler: (e) => errors.push(e),
      ...NO_DD,
    });
    await Promise.resolve();
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(
      Array(4).fill('STATSKIT_ERR_UNSUPPORTED_OPTION'),
    );
    expect(errors.map((e) => e.message.split(' ')[2])).toEqual([
      'socket',
      'udsRetryOptions',
      'datadog',
      'aggregation',
    ]);
  });

  test('includeDataDogTags (default true): DD_TAGS, DD_ENTITY_ID, DD_ENV, DD_SERVICE, DD_VERSION become tags', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      DD_ENV: 'prod',
      DD_SERVICE: 'api',
      DD_VERSION: '1.2',
      DD_ENTITY_ID: 'ent',
      DD_TAGS: 'rack:1,team:core',
    });
    try {
      const c = client({ mock: true, globalTags: ['a:1'] });
      c.increment('x');
      const off = client({ mock: true, includeDataDogTags: false });
      off.increment('x');
      expect(c.mockBuffer).toEqual([
        'x:1|c|#a:1,rack:1,team:core,dd.internal.entity_id:ent,env:prod,service:api,version:1.2',
      ]);
      expect(off.mockBuffer).toEqual(['x:1|c']);
    } finally {
      for (const k of ['DD_ENV', 'DD_SERVICE', 'DD_VERSION', 'DD_ENTITY_ID', 'DD_TAGS']) {
        if (saved[k] === undefined) delete process.env[k];
      }
    }
  });

  test('mock: lines go to mockBuffer synchronously, each child has its own, nothing is sent', () => {
    const c = client({ mock: true, prefix: 'p', ...NO_DD });
    c.increment('x');
    c.gauge('g', -5);
    const child = c.childClient({ prefix: 'c' });
    child.increment('y');
    expect(c.mockBuffer).toEqual(['p.x:1|c', 'p.g:-5|g']);
    expect(child.mockBuffer).toEqual(['c.p.y:1|c']);
  });

  test('protocol tcp: lines on a real TCP connection', async () => {
    const server = net.createServer();
    let data = '';
    server.on('connection', (s) => s.on('data', (d) => (data += d)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const c = new StatsD({ protocol: 'tcp', port, ...NO_DD });
    c.increment('tcp.hit', 1, ['t:1']);
    await closed(c);
    await new Promise((r) => setTimeout(r, 50));
    server.close();
    expect(data).toBe('tcp.hit:1|c|#t:1\n');
  });

  test('cacheDns with cacheDnsTtl: a host name is resolved and its lines arrive; errors none', async () => {
    await using rx = await udpReceiver();
    const errors: Error[] = [];
    const c = client({
      host: 'localhost',
      port: rx.port,
      cacheDns: true,
      cacheDnsTtl: 1000,
      errorHandler: (e) => errors.push(e),
      ...NO_DD,
    });
    c.increment('dns.a');
    c.increment('dns.b');
    await closed(c);
    await rx.waitFor(() => rx.lines.length >= 2);
    expect(rx.lines).toEqual(['dns.a:1|c', 'dns.b:1|c']);
    expect(errors).toEqual([]);
  });

  test('protocol stream: lines written to the given Writable', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    const c = new StatsD({ protocol: 'stream', stream, ...NO_DD });
    c.increment('s');
    await closed(c);
    expect(chunks.join('')).toBe('s:1|c\n');
  });

  test('globalize exposes the client as global.statsd', () => {
    const c = client({ mock: true, globalize: true, ...NO_DD });
    expect((globalThis as { statsd?: unknown }).statsd).toBe(c);
    delete (globalThis as { statsd?: unknown }).statsd;
  });
});

describe('sampling and flush', () => {
  test('a client sampleRate samples every call, and a per-call rate overrides it', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, sampleRate: 0.000001, ...NO_DD });
    const calls: unknown[][] = [];
    for (let i = 0; i < 50; i++) c.increment('dropped', 1, (...args: unknown[]) => calls.push(args));
    c.increment('kept', 1, 1);
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['kept:1|c']);
    expect(calls).toHaveLength(50);
    expect(calls.every((a) => a.length === 0)).toBe(true);
  });

  test('flush(callback): what is buffered is on the wire when it calls back', async () => {
    await using rx = await udpReceiver();
    const c = client({ port: rx.port, maxBufferSize: 8000, bufferFlushInterval: 60_000, ...NO_DD });
    c.increment('a');
    c.increment('b');
    await new Promise<void>((resolve) => c.flush(() => resolve()));
    await rx.waitForLines(2);
    expect(rx.packets.map((p) => p.text)).toEqual(['a:1|c\nb:1|c']);
  });
});

describe('timers', () => {
  test('timer(), asyncTimer(), asyncDistTimer() time the function and pass a context that adds tags', async () => {
    const c = client({ mock: true, ...NO_DD });
    const add = c.timer((a: number, b: number) => a + b, 'add');
    expect(add(2, 3)).toBe(5);
    const fetchy = c.asyncTimer(async (x: string, ctx: TimerContext) => {
      ctx.addTags({ status: 200 });
      return x;
    }, 'fetch');
    expect(await fetchy('ok')).toBe('ok');
    const dist = c.asyncDistTimer(async () => 1, 'dist', ['d']);
    await dist();
    const failing = c.asyncTimer(async () => {
      throw new Error('no');
    }, 'fail');
    await expect(failing()).rejects.toThrow('no');
    expect(c.mockBuffer?.map((l) => l.replace(/:[\d.]+\|/, ':N|'))).toEqual([
      'add:N|ms',
      'fetch:N|ms|#status:200',
      'dist:N|d|#d',
      'fail:N|ms',
    ]);
  });
});

describe('close', () => {
  test('close(callback) sends everything buffered first, then calls back with nothing; later calls fail', async () => {
    await using rx = await udpReceiver();
    const c = new StatsD({ port: rx.port, maxBufferSize: 8000, bufferFlushInterval: 60_000, ...NO_DD });
    for (let i = 0; i < 100; i++) c.increment(`k${i}`);
    expect(await closed(c)).toBeUndefined();
    await rx.waitForLines(100);
    let after: Error | null | undefined;
    c.increment('late', 1, (err) => {
      after = err;
    });
    expect((after as { code?: string }).code).toBe('STATSKIT_ERR_CLOSED');
  });
});
