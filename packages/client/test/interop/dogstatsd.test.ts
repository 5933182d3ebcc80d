/**
 * DogStatsD extensions against the formats Datadog documents ("Datagram Format and Shell Usage") and
 * its Agent parses (comp/dogstatsd/server: parse_events.go, parse_service_checks.go). The two
 * documented example datagrams are reproduced byte for byte.
 */
import { CheckStatus, ErrorCodes, parseLine } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';

/** Decode an event line the way the Agent does: lengths from the header, `\n` back to newlines. */
function decodeEvent(line: string): { title: string; text: string; rest: string } {
  const m = /^_e\{(\d+),(\d+)\}:/.exec(line);
  if (m === null) throw new Error(`not an event: ${line}`);
  const body = Buffer.from(line.slice(m[0].length), 'utf8');
  const tl = Number(m[1]);
  const xl = Number(m[2]);
  const unescapeNl = (b: Buffer): string => b.toString('utf8').replaceAll('\\n', '\n');
  expect(body[tl]).toBe('|'.charCodeAt(0));
  return {
    title: unescapeNl(body.subarray(0, tl)),
    text: unescapeNl(body.subarray(tl + 1, tl + 1 + xl)),
    rest: body.subarray(tl + 1 + xl).toString('utf8'),
  };
}

describe('events', () => {
  test('the documented example datagram', () => {
    const stats = createTestClient();
    stats.event('An exception occurred', 'Cannot parse CSV file from 10.0.0.17', {
      alertType: 'warning',
      tags: { err_type: 'bad_file' },
    });
    expect(stats.lines).toEqual([
      '_e{21,36}:An exception occurred|Cannot parse CSV file from 10.0.0.17|t:warning|#err_type:bad_file',
    ]);
  });

  test('lengths count escaped UTF-8 bytes; newlines travel as \\n; | is allowed in title and text', () => {
    const stats = createTestClient();
    const title = 'héllo | wörld';
    const text = 'line 1\nline 2 | 日本\r\nend';
    stats.event(title, text);
    const [line] = stats.lines;
    expect(line).toBe('_e{15,28}:héllo | wörld|line 1\\nline 2 | 日本\\nend');
    expect(line?.includes('\n')).toBe(false);
    const decoded = decodeEvent(line as string);
    expect(decoded).toEqual({ title, text: text.replace('\r\n', '\n'), rest: '' });
  });

  test('every optional field, in the documented order, and the client tags merged', () => {
    const stats = createTestClient({ prefix: 'app', tags: { env: 'prod' } });
    stats.event('Deploy', 'v2 is live', {
      timestamp: new Date('2023-11-14T22:13:20Z'),
      hostname: 'web-1',
      aggregationKey: 'deploys',
      priority: 'low',
      sourceType: 'ci',
      alertType: 'success',
      tags: ['service:api', 'canary'],
    });
    expect(stats.lines).toEqual([
      '_e{6,10}:Deploy|v2 is live|d:1700000000|h:web-1|k:deploys|p:low|s:ci|t:success|#env:prod,service:api,canary',
    ]);
  });

  test('fields that cannot hold | or a newline are cleaned; bad options are reported, not sent', () => {
    const stats = createTestClient();
    stats.event('t', 'x', { hostname: 'a|b\nc', aggregationKey: 'k|#evil' });
    expect(stats.lines).toEqual(['_e{1,1}:t|x|h:a_b_c|k:k_#evil']);
    stats.clear();
    stats.event('', 'x');
    stats.event('t', 'x', { priority: 'urgent' as never });
    stats.event('t', 'x', { alertType: 'fatal' as never });
    stats.event('t', 'x', { timestamp: Date.now() }); // milliseconds by mistake
    expect(stats.lines).toEqual([]);
    expect(stats.errors.map((e) => e.code)).toEqual([
      ErrorCodes.INVALID_NAME,
      ErrorCodes.INVALID_VALUE,
      ErrorCodes.INVALID_VALUE,
      ErrorCodes.INVALID_VALUE,
    ]);
    expect(stats.telemetry().droppedBy.invalid).toBe(4);
  });

  test('tags are sent in DogStatsD form whatever the tag format; none with tagFormat none', () => {
    const telegraf = createTestClient({ tagFormat: 'telegraf', tags: { env: 'prod', canary: true } });
    telegraf.event('t', 'x', { tags: { region: 'eu' } });
    expect(telegraf.lines).toEqual(['_e{1,1}:t|x|#env:prod,canary,region:eu']);
    const none = createTestClient({ tagFormat: 'none', tags: { env: 'prod' } });
    none.event('t', 'x', { tags: { region: 'eu' } });
    expect(none.lines).toEqual(['_e{1,1}:t|x']);
  });

  test('after close() an event is dropped with STATSKIT_ERR_CLOSED', async () => {
    const stats = createTestClient();
    await stats.close();
    stats.event('late', 'x');
    expect(stats.errors.map((e) => e.code)).toEqual([ErrorCodes.CLOSED]);
  });
});

describe('service checks', () => {
  test('the documented example datagram', () => {
    const stats = createTestClient();
    stats.check('Redis connection', CheckStatus.CRITICAL, {
      tags: { env: 'dev' },
      message: 'Redis connection timed out after 10s',
    });
    expect(stats.lines).toEqual(['_sc|Redis connection|2|#env:dev|m:Redis connection timed out after 10s']);
  });

  test('timestamp and hostname before the tags, the message last and escaped', () => {
    const stats = createTestClient({ prefix: 'app' });
    stats.check('app.ok', CheckStatus.WARNING, {
      timestamp: 1_700_000_000.9,
      hostname: 'web|1',
      tags: { env: 'dev' },
      message: 'disk 91%\nsee m:dashboard |#not:a-tag',
    });
    expect(stats.lines).toEqual([
      '_sc|app.ok|1|d:1700000000|h:web_1|#env:dev|m:disk 91%\\nsee m\\:dashboard ¦#not:a-tag',
    ]);
  });

  test('every status value; an invalid status or name is reported, not sent', () => {
    const stats = createTestClient();
    for (const s of [CheckStatus.OK, CheckStatus.WARNING, CheckStatus.CRITICAL, CheckStatus.UNKNOWN]) {
      stats.check('c', s);
    }
    expect(stats.lines).toEqual(['_sc|c|0', '_sc|c|1', '_sc|c|2', '_sc|c|3']);
    stats.clear();
    stats.check('c', 4 as never);
    stats.check('', CheckStatus.OK);
    expect(stats.lines).toEqual([]);
    expect(stats.errors.map((e) => e.code)).toEqual([ErrorCodes.INVALID_VALUE, ErrorCodes.INVALID_NAME]);
  });
});

describe('the testing client', () => {
  test('events and checks are in .lines; .metrics holds only metrics (and does not throw)', () => {
    const stats = createTestClient();
    stats.incr('a');
    stats.event('t', 'x');
    stats.check('c', CheckStatus.OK);
    expect(stats.lines).toEqual(['a:1|c', '_e{1,1}:t|x', '_sc|c|0']);
    expect(stats.metrics.map((m) => m.name)).toEqual(['a']);
  });
});

describe('metric timestamps (|T, DogStatsD protocol 1.3)', () => {
  test('on counts and gauges, from seconds or a Date, before the tags', () => {
    const stats = createTestClient({ server: 'dogstatsd', tags: { env: 'prod' } });
    stats.incr('c', 2, { timestamp: 1_700_000_000 });
    stats.gauge('g', 5, { timestamp: new Date(1_700_000_000_500) });
    stats.gauge('neg', -3, { timestamp: 1_700_000_000 });
    stats.gaugeDelta('d', 1, { timestamp: 1_700_000_000, rate: 1 });
    expect(stats.lines).toEqual([
      'c:2|c|T1700000000|#env:prod',
      'g:5|g|T1700000000|#env:prod',
      'neg:0|g|T1700000000|#env:prod',
      'neg:-3|g|T1700000000|#env:prod',
      'd:+1|g|T1700000000|#env:prod',
    ]);
    expect(parseLine(stats.lines[0] as string)).toMatchObject({
      name: 'c',
      value: 2,
      timestamp: 1_700_000_000,
    });
    expect(stats.errors).toEqual([]);
  });

  test('ignored on other types; an invalid time drops the metric with STATSKIT_ERR_INVALID_VALUE', () => {
    const stats = createTestClient();
    stats.timing('t', 5, { timestamp: 1_700_000_000 });
    stats.incr('ms', 1, { timestamp: Date.now() });
    stats.incr('nan', 1, { timestamp: Number.NaN });
    stats.incr('neg', 1, { timestamp: -1 });
    expect(stats.lines).toEqual(['t:5|ms']);
    expect(stats.errors.map((e) => e.code)).toEqual([
      ErrorCodes.INVALID_VALUE,
      ErrorCodes.INVALID_VALUE,
      ErrorCodes.INVALID_VALUE,
    ]);
  });

  test('byte counts stay exact with a timestamp (batched packets never overshoot)', async () => {
    const stats = createTestClient({ server: 'dogstatsd', batching: true, maxPacketSize: 64 });
    for (let i = 0; i < 20; i++) stats.incr('counter.name', i, { timestamp: 1_700_000_000 });
    await stats.flush();
    for (const p of stats.memory.packets) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(64);
    expect(stats.lines).toHaveLength(20);
    expect(stats.telemetry().bytesSent).toBe(
      stats.memory.packets.reduce((n, p) => n + Buffer.byteLength(p), 0),
    );
  });
});
