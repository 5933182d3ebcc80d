/**
 * Nothing keeps a process alive: a child that starts every collector and a poll, then stops them (or
 * closes the client), must exit on its own. Run against a bundle of the sources.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundle } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-runtime-exit-'));

beforeAll(async () => {
  await bundle('index.ts', join(dir, 'runtime.mjs'));
  await bundle('../../client/src/index.ts', join(dir, 'client.mjs'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `body` as an ES module in a child; resolves with its exit code, or 'hung' after 10 s. */
function runChild(body: string): Promise<{ code: number | 'hung'; out: string }> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { StatsClient } from './client.mjs';\nimport { collectRuntimeMetrics, collectHostMetrics, poll } from './runtime.mjs';\n${body}`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'hung', out });
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

const START = `
const stats = new StatsClient({ port: 9 });
const rt = collectRuntimeMetrics(stats, { interval: 20 });
const host = collectHostMetrics(stats, { interval: 20 });
let runs = 0;
const p = poll(stats, 'q', async () => { runs++; return 1; }, { interval: 20 });
await new Promise((r) => setTimeout(r, 120));
`;

describe('nothing keeps a process alive', { timeout: 15_000 }, () => {
  test('running collectors and polls alone do not hold the process open (timers unref’d)', async () => {
    const { code } = await runChild(`${START}console.log('ran', runs > 1);`);
    expect(code).toBe(0);
  });

  test('after stop() the process exits on its own', async () => {
    const { code, out } = await runChild(
      `${START}rt.stop(); host.stop(); p.stop(); console.log('stopped', runs > 1);`,
    );
    expect(code).toBe(0);
    expect(out).toContain('stopped true');
  });

  test('after stats.close() the process exits on its own, with the monitors released', async () => {
    const { code, out } = await runChild(
      `${START}await stats.close(); console.log('closed', rt.active, host.active, p.active);`,
    );
    expect(code).toBe(0);
    expect(out).toContain('closed false false false');
  });
});
