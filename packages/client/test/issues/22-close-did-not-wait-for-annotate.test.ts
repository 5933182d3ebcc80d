/**
 * Regression (issue 22 item 7): close() did not wait for a pending annotate(): `void
 * s.annotate('deploy v2.4.1'); await s.close(); process.exit(0)` — graphite-web received nothing.
 * close() now resolves only once every pending event is stored or has failed (each bounded by
 * `graphiteWeb.timeout`). A real child process that exits right after `await close()`, against a local
 * HTTP server that answers slowly and against the real graphite-web.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleClient } from '../helpers/bundle.js';
import { graphiteUp, WEB_URL, waitFor } from '../helpers/graphite.js';

const up = await graphiteUp();
const dir = mkdtempSync(join(tmpdir(), 'statskit-annotate-exit-'));

beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run a child that annotates without awaiting, awaits close() and exits at once. */
async function annotateThenExit(url: string, tag: string): Promise<string> {
  const script = join(dir, `child-${tag}.mjs`);
  writeFileSync(
    script,
    `import { StatsClient } from './client.mjs';
const s = new StatsClient({ graphiteWeb: { url: ${JSON.stringify(url)}, timeout: 5000 }, onError: (e) => process.stderr.write(e.code + ' ' + e.message + '\\n') });
void s.annotate('deploy v2.4.1', { tags: ['deploy', ${JSON.stringify(tag)}], data: 'commit 1a2b3c' });
await s.close();
process.exit(0);
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return out;
}

test('a slow HTTP server receives (and answers) the event before the process exits', async () => {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      // answer late: the event is still pending when close() is called
      setTimeout(() => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        res.end();
      }, 300);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const out = await annotateThenExit(`http://127.0.0.1:${port}`, 'slow');
    expect(out).toBe('');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatch(/^POST \/events\/ /);
    expect(JSON.parse((bodies[0] as string).replace(/^POST \/events\/ /, ''))).toMatchObject({
      what: 'deploy v2.4.1',
      tags: ['deploy', 'slow'],
      data: 'commit 1a2b3c',
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 30_000);

test('a server that never answers: close() still resolves, every event reported as not stored', async () => {
  const server = http.createServer(() => {}); // takes the request, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const errors: StatsError[] = [];
    const s = new StatsClient({
      graphiteWeb: { url: `http://127.0.0.1:${port}`, timeout: 300 },
      onError: (e) => errors.push(e),
    });
    // 4 go at once, 2 wait for a turn
    const results = Array.from({ length: 6 }, (_, i) => s.annotate(`deploy ${i}`));
    await s.close();
    expect(await Promise.all(results)).toEqual([false, false, false, false, false, false]);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set([ErrorCodes.EVENT_FAILED]));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 30_000);

describe.skipIf(!up)('graphite-web', () => {
  test('stores the event of a process that exits right after await close()', async () => {
    const tag = `exit_${process.pid}_${Date.now().toString(36)}`;
    const out = await annotateThenExit(WEB_URL, tag);
    expect(out).toBe('');
    const events = await waitFor(
      async () => {
        const res = await fetch(`${WEB_URL}/events/get_data?tags=${tag}&from=-1h`);
        const list = (await res.json()) as Array<{ what: string; tags: string[] }>;
        return list.length > 0 ? list : undefined;
      },
      10_000,
      'the event',
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ what: 'deploy v2.4.1', data: 'commit 1a2b3c' });
    expect(events[0]?.tags.sort()).toEqual(['deploy', tag].sort());
  }, 30_000);
});
