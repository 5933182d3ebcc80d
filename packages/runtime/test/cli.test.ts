/**
 * statskit-host: run for 3 s against a real UDP receiver, then SIGTERM: the documented names arrive,
 * --verbose prints the same lines, and the process exits cleanly by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePacket } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundle, sleep, udpReceiver } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-runtime-cli-'));
const cli = join(dir, 'cli.mjs');

beforeAll(async () => {
  await bundle('cli.ts', cli);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const io = { out: '', err: '' };
  const exit = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  child.stdout?.on('data', (d) => {
    io.out += d;
  });
  child.stderr?.on('data', (d) => {
    io.err += d;
  });
  return { child, io, exit };
}

/** The exit code (or signal), or 'hung' when the process is still running after `ms`. */
async function exited(p: { child: ChildProcess; exit: Promise<number | string> }, ms = 10_000) {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      resolve('hung');
    }, ms);
  });
  const result = await Promise.race([p.exit, hung]);
  clearTimeout(timer);
  return result;
}

const linux = process.platform === 'linux';

describe('statskit-host', { timeout: 15_000 }, () => {
  test.runIf(linux)(
    '3 s against a UDP receiver: the documented names, --verbose echo, clean exit on SIGTERM',
    async () => {
      const rx = await udpReceiver();
      try {
        const agent = start([
          '--port',
          String(rx.port),
          '--interval',
          '1s',
          '--prefix',
          'agent',
          '--threshold',
          'memory.percent>0:0',
          '--verbose',
        ]);
        const { child, io } = agent;
        await sleep(3_000);
        child.kill('SIGTERM');
        expect(await exited(agent)).toBe(0);
        const names = new Set(parsePacket(rx.lines.join('\n')).map((m) => m?.name));
        for (const n of [
          'agent.host.memory.total',
          'agent.host.memory.used',
          'agent.host.memory.free',
          'agent.host.memory.percent',
          'agent.host.cpu.percent',
          'agent.host.cpu.user',
          'agent.host.cpu.system',
          'agent.host.load.1',
          'agent.host.load.5',
          'agent.host.load.15',
          'agent.host.disk.root.total',
          'agent.host.disk.root.used',
          'agent.host.disk.root.free',
          'agent.host.disk.root.percent',
          'agent.host.net.lo.bytes_in',
          'agent.host.net.lo.bytes_out',
          'agent.host.net.lo.errors_in',
          'agent.host.net.lo.drops_out',
          'agent.host.memory.percent.threshold.breach',
        ]) {
          expect(names, n).toContain(n);
        }
        expect(
          [...names].some((n) => n !== undefined && /^agent\.host\.diskio\.[^.]+\.write_bytes$/.test(n)),
        ).toBe(true);
        // 3 s at 1 s: 2 or 3 readings (grid ticks at 1, 2, 3 s)
        const readings = rx.lines.filter((l) => l.startsWith('agent.host.memory.used:')).length;
        expect(readings).toBeGreaterThanOrEqual(2);
        expect(readings).toBeLessThanOrEqual(3);
        // --verbose printed what was sent
        expect(io.out).toContain('agent.host.memory.used:');
        expect(io.out.split('\n').filter((l) => l.startsWith('agent.host.memory.used:'))).toHaveLength(
          readings,
        );
        expect(io.err).toMatch(/breach host\.memory\.percent = [\d.]+ \(above 0/);
      } finally {
        await rx.close();
      }
    },
    15_000,
  );

  test('STATSD_* environment; SIGINT stops it too', async () => {
    const rx = await udpReceiver();
    try {
      const agent = start([], {
        STATSD_PORT: String(rx.port),
        STATSD_INTERVAL: '200ms',
        STATSD_PREFIX: 'env',
      });
      // until the agent has reported once (its start-up may take a while on a loaded machine)
      const reported = (): boolean => rx.lines.some((l) => l.startsWith('env.host.memory.used:'));
      for (let waited = 0; !reported() && waited < 10_000; waited += 50) await sleep(50);
      expect(reported()).toBe(true);
      agent.child.kill('SIGINT');
      expect(await exited(agent)).toBe(0);
    } finally {
      await rx.close();
    }
  });

  test('bad flags: exit code 2 with a hint; --help prints the usage', async () => {
    const bad = start(['--interval', 'soon']);
    expect(await exited(bad)).toBe(2);
    expect(bad.io.err).toMatch(/not a duration.*\n.*--help/);
    const badThreshold = start(['--threshold', 'memory.percent=5']);
    expect(await exited(badThreshold)).toBe(2);
    const help = start(['--help']);
    expect(await exited(help)).toBe(0);
    expect(help.io.out).toContain('--threshold <spec>');
  });
});
