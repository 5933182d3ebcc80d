/**
 * Issue 22 item 11: durations above 2^31−1 ms (`statskit-host --interval 1000h`, `poll({ interval: 30
 * days })`) made Node clamp the timer to 1 ms — a TimeoutOverflowWarning flood and a 1 ms loop — and
 * `poll({ timeout: Infinity })` reported every run as timed out.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, InvalidOptionError, StatsClient } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectHostMetrics, collectRuntimeMetrics, poll } from '@statskit/runtime';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundle, sleep, valuesOf } from '../helpers.js';

const TOO_LONG = 2 ** 31; // one past the longest Node timer
const DAYS_30 = 30 * 24 * 3_600_000;

function refused(fn: () => unknown, what: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError);
  expect((thrown as InvalidOptionError).code).toBe(ErrorCodes.INVALID_OPTION);
  expect((thrown as Error).message).toMatch(what);
}

describe('issue 22.11: durations past the longest Node timer', () => {
  test('collector and poll intervals are refused at construction, with a coded error', () => {
    const stats = createTestClient();
    refused(() => collectRuntimeMetrics(stats, { interval: TOO_LONG }), /interval.*2147483647/);
    refused(() => collectHostMetrics(stats, { interval: DAYS_30 }), /interval.*2147483647/);
    refused(() => poll(stats, 'q', () => 1, { interval: DAYS_30 }), /interval.*2147483647/);
    refused(() => poll(stats, 'q', () => 1, { interval: 1000, timeout: TOO_LONG }), /timeout.*Infinity/);
    // the longest one is accepted
    collectRuntimeMetrics(stats, { interval: 2 ** 31 - 1 }).stop();
    poll(stats, 'q', () => 1, { interval: 2 ** 31 - 1, timeout: 2 ** 31 - 1, immediate: false }).stop();
  });

  test('every client duration option is refused above 2^31−1 ms', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['flushInterval', { flushInterval: TOO_LONG }],
      ['aggregate.interval', { aggregate: { interval: TOO_LONG } }],
      ['carbon.interval', { carbon: { port: 9, interval: TOO_LONG } }],
      ['closeTimeout', { closeTimeout: TOO_LONG }],
      ['graphiteWeb.timeout', { graphiteWeb: { url: 'http://127.0.0.1:9', timeout: TOO_LONG } }],
      ['onErrorInterval', { onErrorInterval: TOO_LONG, onError: () => {} }],
      ['telemetryInterval', { telemetryInterval: TOO_LONG }],
    ];
    for (const [name, options] of cases) {
      refused(() => new StatsClient({ port: 9, ...options }), new RegExp(name.replace('.', '\\.')));
    }
  });

  test('poll({ timeout: Infinity }) means no timeout: a slow run is sent, never counted as timed out', async () => {
    const stats = createTestClient();
    const errors: unknown[] = [];
    const p = poll(
      stats,
      'slow',
      async () => {
        await sleep(40);
        return 7;
      },
      { interval: 60_000, timeout: Number.POSITIVE_INFINITY, onError: (e) => errors.push(e) },
    );
    await sleep(150);
    p.stop();
    expect(p.timeout).toBe(Number.POSITIVE_INFINITY);
    expect(p.stats()).toMatchObject({ runs: 1, errors: 0, timeouts: 0 });
    expect(errors).toEqual([]);
    expect(valuesOf(stats.metrics, 'slow')).toEqual([7]);
    expect(valuesOf(stats.metrics, 'slow.poll.timeouts')).toEqual([]);
  });
});

describe('statskit-host --interval 1000h', { timeout: 15_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-issue22-11-'));
  const cli = join(dir, 'cli.mjs');
  beforeAll(() => bundle('cli.ts', cli));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is refused as a usage error (exit 2), not run as a 1 ms loop', async () => {
    const child = spawn(process.execPath, [cli, '--port', '9', '--interval', '1000h'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 5000);
      child.on('exit', (c, s) => {
        clearTimeout(timer);
        resolve(c ?? s ?? -1);
      });
    });
    expect(code).toBe(2);
    expect(err).toContain('--interval: 1000h is too long');
    expect(err).not.toContain('TimeoutOverflowWarning');
  });
});
