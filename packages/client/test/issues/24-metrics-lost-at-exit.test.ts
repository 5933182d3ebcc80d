/**
 * Regression (issue 24, item 2): metrics were lost without a word at exit — `process.exit(0)` without
 * close(), close() not awaited then `process.exit()`, and an uncaught throw each delivered 0 of 3 lines.
 * Now, at process 'exit', what is held is written to the socket, and a connected socket sends it
 * synchronously; what still waits for a connection is reported once on stderr with the count and the
 * fix. On SIGTERM (statskit's the only listener) pending lines are sent, then the process still dies of
 * the signal. Real child processes (the client bundled from source), a real UDP receiver.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleClient } from '../helpers/bundle.js';
import { sleep, type UdpReceiver, udpReceiver } from '../helpers/udp-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-24-exit-'));
let rx: UdpReceiver;

beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
  rx = await udpReceiver();
});

afterAll(async () => {
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Run `body` as an ES module with `stats` made; `onReady` runs once the child printed 'ready'. */
function run(body: string, onReady?: (pid: number) => void): Promise<Run> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { StatsClient } from './client.mjs';
const stats = new StatsClient({ host: '127.0.0.1', port: ${rx.port}, prefix: 'exit' });
${body}`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      if (onReady !== undefined && stdout.includes('ready')) {
        const f = onReady;
        onReady = undefined;
        f(child.pid as number);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, stdout });
    });
  });
}

/** Lines the receiver got for `tag` (each child uses its own metric names), after a short settle. */
async function received(tag: string): Promise<string[]> {
  await sleep(200);
  return rx.lines.filter((l) => l.startsWith(`exit.${tag}.`));
}

/** Connect first (one metric, flushed), as a process that has been running a while has. */
const CONNECTED = `stats.incr('warmup'); await stats.flush();`;
const THREE = (tag: string) =>
  `stats.incr('${tag}.a'); stats.gauge('${tag}.b', 2); stats.timing('${tag}.c', 3);`;

describe('process exit', { timeout: 20_000 }, () => {
  test('process.exit(0) without close(), socket connected: all 3 lines arrive, nothing on stderr', async () => {
    const r = await run(`${CONNECTED}\n${THREE('exit0')}\nprocess.exit(0);`);
    expect(r.code).toBe(0);
    expect((await received('exit0')).sort()).toEqual([
      'exit.exit0.a:1|c',
      'exit.exit0.b:2|g',
      'exit.exit0.c:3|ms',
    ]);
    expect(r.stderr).toBe('');
  });

  test('close() not awaited, then process.exit(): sent when connected; else reported on stderr with the fix', async () => {
    const r = await run(`${CONNECTED}\n${THREE('noawait')}\nvoid stats.close();\nprocess.exit(0);`);
    expect(r.code).toBe(0);
    expect(await received('noawait')).toHaveLength(3);
    expect(r.stderr).toBe('');
    const early = await run(`${THREE('noawait2')}\nvoid stats.close();\nprocess.exit(0);`);
    expect(await received('noawait2')).toEqual([]);
    expect(early.stderr).toMatch(
      /^statskit: 3 metric lines were not sent: .*`await stats.close\(\)` before `process.exit\(\)`/,
    );
  });

  test('an uncaught throw: the 3 lines arrive, and the crash is unchanged (stack on stderr, exit code 1)', async () => {
    const r = await run(
      `${CONNECTED}\n${THREE('crash')}\nsetTimeout(() => { throw new Error('app bug'); }, 0);`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: app bug');
    expect(await received('crash')).toHaveLength(3);
  });

  test('process.exit(0) before the socket connected: nothing can be sent, and stderr says so once, with the fix', async () => {
    const r = await run(`${THREE('early')}\nprocess.exit(0);`);
    expect(r.code).toBe(0);
    expect(await received('early')).toEqual([]);
    expect(r.stderr).toBe(
      'statskit: 3 metric lines were not sent: the process exited while they waited for the connection to the server. Call `await stats.close()` before `process.exit()` (see docs/transports.md, "At exit").\n',
    );
  });

  test('await stats.close() before process.exit(): everything arrives, nothing on stderr', async () => {
    const r = await run(`${THREE('closed')}\nawait stats.close();\nprocess.exit(0);`);
    expect(r.code).toBe(0);
    expect(await received('closed')).toHaveLength(3);
    expect(r.stderr).toBe('');
  });
});

describe('signals', { timeout: 20_000 }, () => {
  test('SIGTERM with no handler of the app: the pending lines are sent, then the process dies of SIGTERM', async () => {
    const r = await run(
      `${THREE('term')}\nsetInterval(() => {}, 1000);\nprocess.stdout.write('ready\\n');`,
      (pid) => process.kill(pid, 'SIGTERM'),
    );
    expect(r.signal).toBe('SIGTERM');
    expect(await received('term')).toHaveLength(3);
  });

  test("SIGTERM with the app's own handler: the app decides (here: it logs and exits 0); the lines are sent", async () => {
    const r = await run(
      `process.on('SIGTERM', () => { console.log('app handler'); setTimeout(() => process.exit(0), 50); });
${CONNECTED}\n${THREE('apphandler')}\nsetInterval(() => {}, 1000);\nprocess.stdout.write('ready\\n');`,
      (pid) => process.kill(pid, 'SIGTERM'),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app handler');
    expect(await received('apphandler')).toHaveLength(3);
  });
});
