/**
 * Sockets and timers never hold the process open: a child process with a connected TCP client, a
 * TCP client retrying a dead port (backoff timer), a unix-socket client and a telemetry timer exits
 * on its own, without close(). The client is bundled from source with esbuild for the child.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleClient } from '../helpers/bundle.js';
import { freePort } from '../helpers/statsd-daemon.js';
import { type StreamServer, streamServer } from '../helpers/stream-server.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-exit-'));
let tcp: StreamServer;
let uds: StreamServer;

beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
  tcp = await streamServer();
  uds = await streamServer({ path: join(dir, 'uds.sock'), framing: 'length-prefix' });
});

afterAll(async () => {
  await tcp?.stop();
  await uds?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the process exits on its own', () => {
  test('with connected, reconnecting and telemetry-reporting clients that were never closed', async () => {
    const deadPort = await freePort();
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { StatsClient } from './client.mjs';
const onError = () => {};
const up = new StatsClient({ protocol: 'tcp', host: '127.0.0.1', port: ${tcp.port}, telemetryInterval: 50, onError });
const down = new StatsClient({ protocol: 'tcp', host: '127.0.0.1', port: ${deadPort}, onError });
const sock = new StatsClient({ protocol: 'uds', path: ${JSON.stringify(uds.path)}, udsFraming: 'length-prefix', onError });
up.incr('child.up');
down.incr('child.down');
sock.incr('child.uds');
await up.flush();
await sock.flush();
process.stdout.write('sent\\n');
`,
    );
    const started = Date.now();
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(-1);
      }, 8000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('sent');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    await tcp.waitFor(() => tcp.lines.includes('child.up:1|c'));
    await uds.waitFor(() => uds.lines.includes('child.uds:1|c'));
  });
});
