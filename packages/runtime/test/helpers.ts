/** Shared by the runtime package's tests. */
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { ParsedMetric } from '@statskit/client';
import { build } from 'esbuild';

/** Every value sent as `name` (in order). */
export function valuesOf(metrics: readonly ParsedMetric[], name: string): number[] {
  return metrics.filter((m) => m.name === name).map((m) => Number(m.value));
}

/** The sum of every value of every name matching `re`. */
export function sumOf(metrics: readonly ParsedMetric[], re: RegExp): number {
  let sum = 0;
  for (const m of metrics) if (re.test(m.name)) sum += Number(m.value);
  return sum;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keep the event loop (and this thread) busy for `ms`. */
export function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** Bundle a source file of this package (with @statskit/client from source) into one ESM file. */
export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL(`../src/${entry}`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    alias: { '@statskit/client': fileURLToPath(new URL('../../client/src/index.ts', import.meta.url)) },
  });
}

/** A statsd stand-in on 127.0.0.1, port 0, keeping every line. */
export async function udpReceiver(): Promise<{ port: number; lines: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const lines: string[] = [];
  socket.on('message', (msg) => {
    for (const l of msg.toString('utf8').split('\n')) if (l !== '') lines.push(l);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    lines,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * Bundles of this package and of @statskit/client (from source) in `dir`, and a runner of child
 * processes importing them: `run(body)` resolves with the exit code ('hung' after `timeout` ms), stdout
 * and stderr.
 */
export async function childRunner(
  dir: string,
): Promise<(body: string, timeout?: number) => Promise<{ code: number | 'hung'; out: string; err: string }>> {
  const { spawn } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  await bundle('index.ts', join(dir, 'runtime.mjs'));
  await bundle('../../client/src/index.ts', join(dir, 'client.mjs'));
  return (body, timeout = 10_000) => {
    const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(
      file,
      `import { StatsClient } from './client.mjs';\nimport { collectRuntimeMetrics, collectHostMetrics, poll } from './runtime.mjs';\n${body}`,
    );
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: 'hung', out, err });
      }, timeout);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out, err });
      });
    });
  };
}
