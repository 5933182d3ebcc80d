/** Child clients: longer prefixes, merged tags, their own sample rate, and the parent's socket and batcher. */
import { InvalidOptionError } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { drain, thrownBy, udpClient } from './helpers/client.js';
import { type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await udpReceiver();
});
afterAll(() => rx.close());

const texts = async (...args: Parameters<typeof drain>): Promise<string[]> =>
  (await drain(...args)).map((p) => p.text);

describe('prefix', () => {
  test('chains through generations, one dot at each seam', async () => {
    await using c = udpClient(rx, { prefix: 'app' });
    const db = c.stats.child({ prefix: 'db' });
    const pg = db.child({ prefix: 'pg.' });
    c.stats.incr('q');
    db.incr('q');
    pg.incr('q');
    expect(await texts(c.stats, rx)).toEqual(['app.q:1|c\napp.db.q:1|c\napp.db.pg.q:1|c']);
  });

  test('a child of a client without a prefix', async () => {
    await using c = udpClient(rx);
    c.stats.child({ prefix: 'db' }).incr('q');
    c.stats.child({}).incr('q');
    c.stats.child().incr('r');
    expect(await texts(c.stats, rx)).toEqual(['db.q:1|c\nq:1|c\nr:1|c']);
  });

  test('suffixes chain after the name', async () => {
    await using c = udpClient(rx, { prefix: 'app', suffix: 'eu' });
    c.stats.child({ prefix: 'db', suffix: 'host1' }).incr('q');
    expect(await texts(c.stats, rx)).toEqual(['app.db.q.eu.host1:1|c']);
  });

  test('a reserved character in a child prefix is replaced', async () => {
    await using c = udpClient(rx, { prefix: 'app' });
    c.stats.child({ prefix: 'a:b\n#c' }).incr('q');
    expect(await texts(c.stats, rx)).toEqual(['app.a_b__c.q:1|c']);
  });
});

describe('tags', () => {
  test('merge over the parent, the child winning on the same key; the parent is unchanged', async () => {
    await using c = udpClient(rx, { tags: { env: 'prod', region: 'eu' } });
    const child = c.stats.child({ tags: { region: 'us', svc: 'api' } });
    const grandchild = child.child({ tags: ['svc:worker', 'canary'] });
    c.stats.incr('a');
    child.incr('a');
    grandchild.incr('a');
    child.incr('a', 1, { tags: { svc: 'web', route: '/x' } });
    expect(await texts(c.stats, rx)).toEqual([
      [
        'a:1|c|#env:prod,region:eu',
        'a:1|c|#env:prod,region:us,svc:api',
        'a:1|c|#env:prod,region:us,svc:worker,canary',
        'a:1|c|#env:prod,region:us,svc:web,route:/x',
      ].join('\n'),
    ]);
  });

  test.each([
    ['telegraf', 'a,env=prod,region=us,svc=api:1|c'],
    ['graphite', 'a;env=prod;region=us;svc=api:1|c'],
    ['none', 'a:1|c'],
  ] as const)('%s', async (tagFormat, expected) => {
    await using c = udpClient(rx, { tagFormat, tags: { env: 'prod', region: 'eu' } });
    c.stats.child({ tags: { region: 'us', svc: 'api' } }).incr('a');
    expect(await texts(c.stats, rx)).toEqual([expected]);
  });

  test('invalid child tags throw InvalidOptionError', async () => {
    await using c = udpClient(rx);
    expect(() => c.stats.child({ tags: [42 as unknown as string] })).toThrow(InvalidOptionError);
    expect(() => c.stats.child({ prefix: 5 as unknown as string })).toThrow(InvalidOptionError);
  });
});

describe('shared transport and batcher', () => {
  test('parent and child lines travel in one packet, in call order', async () => {
    await using c = udpClient(rx, { prefix: 'app' });
    const child = c.stats.child({ prefix: 'db', tags: { t: '1' } });
    c.stats.incr('a');
    child.timing('b', 5);
    c.stats.gauge('c', -1);
    child.incr('d');
    expect(await texts(c.stats, rx)).toEqual([
      'app.a:1|c\napp.db.b:5|ms|#t:1\napp.c:0|g\napp.c:-1|g\napp.db.d:1|c|#t:1',
    ]);
  });

  test("a child's flush() sends the parent's buffered lines too", async () => {
    await using c = udpClient(rx);
    const child = c.stats.child({ prefix: 'kid' });
    c.stats.incr('parent');
    child.incr('child');
    await child.flush();
    await rx.waitFor(() => rx.packets.length >= 1);
    expect(rx.packets.map((p) => p.text)).toEqual(['parent:1|c\nkid.child:1|c']);
    rx.clear();
  });

  test('telemetry is shared', async () => {
    await using c = udpClient(rx);
    const child = c.stats.child({ prefix: 'kid' });
    c.stats.incr('a');
    child.incr('b');
    child.incr('c');
    await child.flush();
    expect(c.stats.telemetry()).toMatchObject({ metrics: 3, packetsSent: 1, linesSent: 3 });
    expect(child.telemetry()).toEqual(c.stats.telemetry());
    await drain(c.stats, rx);
  });

  test('closing the parent closes the child, and the child reports its late calls', async () => {
    const c = udpClient(rx);
    const child = c.stats.child({ prefix: 'kid' });
    child.incr('before');
    await c.stats.close();
    expect(child.closed).toBe(true);
    child.incr('after');
    expect(c.codes()).toEqual(['STATSKIT_ERR_CLOSED']);
    await rx.waitFor(() => rx.packets.length >= 1);
    expect(rx.packets.map((p) => p.text)).toEqual(['kid.before:1|c']);
    rx.clear();
  });

  test("closing a child closes the parent's shared socket", async () => {
    const c = udpClient(rx);
    const child = c.stats.child({ prefix: 'kid' });
    c.stats.incr('parent');
    await child.close();
    expect(c.stats.closed).toBe(true);
    await rx.waitFor(() => rx.packets.length >= 1);
    expect(rx.packets.map((p) => p.text)).toEqual(['parent:1|c']);
    rx.clear();
  });
});

describe('sample rate', () => {
  test('a child has its own default rate; the parent keeps its own', async () => {
    const draws: number[] = [];
    await using c = udpClient(rx, {
      random: () => {
        draws.push(0.3);
        return 0.3;
      },
    });
    const half = c.stats.child({ sampleRate: 0.5 });
    const tenth = c.stats.child({ sampleRate: 0.1 });
    c.stats.incr('parent');
    half.incr('half'); // 0.3 < 0.5: sent
    tenth.incr('tenth'); // 0.3 >= 0.1: dropped
    half.incr('override', 1, { rate: 1 });
    expect(await texts(c.stats, rx)).toEqual(['parent:1|c\nhalf:1|c|@0.5\noverride:1|c']);
    expect(draws).toHaveLength(2);
    expect(c.stats.telemetry().sampledOut).toBe(1);
  });

  test("a grandchild inherits its parent's rate", async () => {
    await using c = udpClient(rx, { random: () => 0 });
    c.stats.child({ sampleRate: 0.25 }).child({ prefix: 'g' }).incr('x');
    expect(await texts(c.stats, rx)).toEqual(['g.x:1|c|@0.25']);
  });

  test.each([0, 2, -1, Number.NaN, '0.5'])('child sampleRate %s throws InvalidOptionError', async (rate) => {
    await using c = udpClient(rx);
    const err = thrownBy(() => c.stats.child({ sampleRate: rate as number }));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err).toMatchObject({ code: 'STATSKIT_ERR_INVALID_OPTION' });
  });
});
