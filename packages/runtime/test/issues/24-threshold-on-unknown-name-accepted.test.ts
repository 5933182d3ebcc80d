/**
 * Issue 24 item 4: thresholds on names no collector sends (`--threshold 'mem.percent>90'`,
 * `collectRuntimeMetrics(s, { thresholds: { 'eventloop.delay.p95': … } })`) were accepted — alerts that
 * can never fire — and a mistyped CLI flag (`--intervall 5s`) said only "Unknown option".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, InvalidOptionError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectHostMetrics, collectRuntimeMetrics } from '@statskit/runtime';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundle } from '../helpers.js';

function thrown(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).code).toBe(ErrorCodes.INVALID_OPTION);
    return err as InvalidOptionError;
  }
  throw new Error('not refused');
}

const above = { above: 1 };

describe('issue 24.4: threshold names are checked against what the collector sends', () => {
  test('runtime: an unknown name is refused with the closest known one', () => {
    const stats = createTestClient();
    const err = thrown(() =>
      collectRuntimeMetrics(stats, { thresholds: { 'eventloop.delay.p95': { above: 200 } } }),
    );
    expect(err.message).toContain("no metric 'eventloop.delay.p95'");
    expect(err.message).toContain("did you mean 'eventloop.delay.p99'?");
    expect(
      thrown(() => collectRuntimeMetrics(stats, { thresholds: { 'gc.major.count': above }, mode: 'tags' }))
        .message,
    ).toContain("'gc.major.count' is sent in names mode");
    expect(
      thrown(() => collectRuntimeMetrics(stats, { thresholds: { 'whatever.this.is': above } })).message,
    ).toContain('docs/metrics.md');
  });

  test('host: unknown names refused (names and tags mode), entity names suggested with their entity', () => {
    const stats = createTestClient();
    expect(
      thrown(() => collectHostMetrics(stats, { thresholds: { 'mem.percent': above } })).message,
    ).toContain("did you mean 'memory.percent'?");
    expect(
      thrown(() => collectHostMetrics(stats, { thresholds: { 'disk.root.percnt': above } })).message,
    ).toContain("did you mean 'disk.root.percent'?");
    expect(
      thrown(() => collectHostMetrics(stats, { mode: 'tags', thresholds: { 'disk.root.percent': above } }))
        .message,
    ).toContain("did you mean 'disk.percent'?");
  });

  test('every documented name is accepted', () => {
    const stats = createTestClient();
    const runtime = [
      'eventloop.delay.min',
      'eventloop.delay.mean',
      'eventloop.delay.p50',
      'eventloop.delay.p99',
      'eventloop.delay.max',
      'eventloop.utilization',
      'cpu.user',
      'cpu.system',
      'cpu.total',
      'memory.heap.used',
      'memory.heap.total',
      'memory.heap.limit',
      'memory.rss',
      'memory.external',
      'memory.array_buffers',
      'handles',
      'requests',
      'resources',
      'uptime',
      'gc.major.pause',
      'gc.minor.count',
    ];
    collectRuntimeMetrics(stats, { thresholds: Object.fromEntries(runtime.map((n) => [n, above])) }).stop();
    collectRuntimeMetrics(stats, { mode: 'tags', thresholds: { 'gc.pause': above } }).stop();
    const host = [
      'memory.percent',
      'memory.free',
      'cpu.percent',
      'load.15',
      'disk.root.percent',
      'disk.var_lib.free',
      'diskio.sda.read_bytes',
      'net.eth0.bytes_in',
    ];
    collectHostMetrics(stats, { thresholds: Object.fromEntries(host.map((n) => [n, above])) }).stop();
    collectHostMetrics(stats, {
      mode: 'tags',
      thresholds: { 'disk.percent': above, 'net.errors_in': above, 'diskio.write_time': above },
    }).stop();
  });
});

describe('statskit-host: typos in thresholds and flags', { timeout: 15_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-issue24-4-'));
  const cli = join(dir, 'cli.mjs');
  beforeAll(() => bundle('cli.ts', cli));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]): Promise<{ code: number | string; err: string }> {
    const child = spawn(process.execPath, [cli, '--port', '9', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: 'hung', err });
      }, 5000);
      child.on('exit', (c, s) => {
        clearTimeout(timer);
        resolve({ code: c ?? s ?? -1, err });
      });
    });
  }

  test("--threshold 'mem.percent>90' is a usage error naming memory.percent", async () => {
    const { code, err } = await run(['--threshold', 'mem.percent>90']);
    expect(code).toBe(2);
    expect(err).toContain("did you mean 'memory.percent'?");
  });

  test('--intervall 5s gets "did you mean --interval"', async () => {
    const { code, err } = await run(['--intervall', '5s']);
    expect(code).toBe(2);
    expect(err).toContain('unknown option --intervall; did you mean --interval?');
    const eq = await run(['--tag-fromat=graphite']);
    expect(eq.code).toBe(2);
    expect(eq.err).toContain('did you mean --tag-format?');
  });
});
