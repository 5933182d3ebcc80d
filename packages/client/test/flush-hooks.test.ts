/**
 * `stats.onFlush(fn)`: values held by code outside the client (summed counters) are written on flush(),
 * on close() and when the process ends on its own — over a real UDP socket, and in a child process
 * that exits without close(). Aggregates are written at that exit too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StatsClient, type StatsError } from '../src/index.js';
import { createTestClient } from '../src/testing/index.js';
import { bundleClient } from './helpers/bundle.js';
import { udpReceiver } from './helpers/udp-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-hooks-'));

beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A counter summed in process, like the request recorder's. */
function summed(stats: StatsClient, name: string) {
  let pending = 0;
  const off = stats.onFlush(() => {
    if (pending > 0) stats.incr(name, pending);
    pending = 0;
  });
  return { add: () => pending++, off };
}

describe('onFlush', () => {
  test('close() on the parent writes what a child client’s hook holds, before closing', async () => {
    await using rx = await udpReceiver();
    const stats = new StatsClient({ host: '127.0.0.1', port: rx.port });
    const jobs = summed(stats.child({ prefix: 'worker' }), 'jobs');
    for (let i = 0; i < 250; i++) jobs.add();
    await stats.close();
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['worker.jobs:250|c']);
  });

  test('flush() runs hooks first; an unregistered hook no longer runs', async () => {
    const stats = createTestClient();
    const a = summed(stats, 'a');
    a.add();
    a.add();
    await stats.flush();
    expect(stats.memory.lines).toEqual(['a:2|c']);
    a.off();
    a.add();
    await stats.close();
    expect(stats.memory.lines).toEqual(['a:2|c']);
  });

  test('a throwing hook is reported with a code; the other hooks and the flush still happen', async () => {
    const errors: StatsError[] = [];
    const stats = createTestClient({ onError: (e) => errors.push(e) });
    stats.onFlush(() => {
      throw new Error('boom');
    });
    const b = summed(stats, 'b');
    b.add();
    stats.incr('direct');
    await stats.close();
    expect(stats.memory.lines.sort()).toEqual(['b:1|c', 'direct:1|c']);
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_CALLBACK']);
  });

  test('a non-function is rejected at registration', () => {
    const stats = createTestClient();
    expect(() => stats.onFlush(42 as unknown as () => void)).toThrow(/needs a function/);
  });

  test('a process that ends on its own writes hook values and aggregates before it exits', async () => {
    await using rx = await udpReceiver();
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { StatsClient } from './client.mjs';
const stats = new StatsClient({ host: '127.0.0.1', port: ${rx.port}, aggregate: { interval: 60000 } });
let pending = 0;
stats.onFlush(() => { if (pending > 0) stats.incr('held', pending); pending = 0; });
for (let i = 0; i < 40; i++) { pending++; stats.incr('aggregated', 2); }
stats.gauge('level', 7);
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    await rx.waitForLines(3);
    expect(rx.lines.sort()).toEqual(['aggregated:80|c', 'held:40|c', 'level:7|g']);
  });

  test('at that exit, hooks and aggregates are written into the pending packet before it is sent: one packet', async () => {
    await using rx = await udpReceiver();
    const script = join(dir, 'child-order.mjs');
    writeFileSync(
      script,
      `import { StatsClient } from './client.mjs';
const stats = new StatsClient({ host: '127.0.0.1', port: ${rx.port}, flushInterval: 60000, aggregate: { interval: 60000 } });
const raw = new StatsClient({ host: '127.0.0.1', port: ${rx.port}, flushInterval: 60000, aggregate: false });
stats.onFlush(() => stats.incr('held', 3));
stats.timing('query', 5); // raw: waits in the packet
stats.incr('aggregated', 2);
raw.incr('raw', 1); // a client holding no values of its own: its packet is sent too
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    await rx.waitForLines(4);
    expect(rx.packets.map((p) => p.text).sort()).toEqual(['query:5|ms\naggregated:2|c\nheld:3|c', 'raw:1|c']);
  });
});
