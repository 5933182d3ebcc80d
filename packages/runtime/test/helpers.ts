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
