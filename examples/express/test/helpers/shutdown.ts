/**
 * Runs an example server as a real child process (its `node src/server.mjs` entry, with the built
 * packages) whose StatsClient sends over UDP to a receiver here; starts a request that is still in
 * flight, sends SIGTERM, and reports how the process ended, what the request got and what arrived.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

export interface ShutdownRun {
  /** How the child ended. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The in-flight request's body, read after the signal. */
  readonly body: string;
  /** Every statsd line received. */
  readonly lines: readonly string[];
  /** What the child wrote to stderr. */
  readonly stderr: string;
}

/** Resolves with the first `listening on <url>` the child prints (rejects after `ms`). */
function listeningUrl(child: ChildProcess, ms: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" within ${ms} ms: ${out}`)), ms);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', () => reject(new Error(`exited before listening: ${out}${stderr()}`)));
  });
}

/** Resolves with the exit, or `undefined` if the child is still running after `ms` (then killed). */
async function exited(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return signal === 'SIGKILL' ? undefined : { code, signal };
}

/**
 * Start `script`, GET `path` (an endpoint that sends its headers at once and finishes later), send
 * SIGTERM once the headers arrived, read the body, wait for the process to end (at most 15 s) and for
 * `until(lines)` to hold (at most 5 s).
 */
export async function runShutdown(
  script: string,
  path: string,
  until: (lines: readonly string[]) => boolean,
): Promise<ShutdownRun | undefined> {
  const socket = dgram.createSocket('udp4');
  const lines: string[] = [];
  socket.on('message', (msg) =>
    lines.push(
      ...msg
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ),
  );
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: '0', STATSD_HOST: '127.0.0.1', STATSD_PORT: String(socket.address().port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  try {
    const url = await listeningUrl(child, 15_000, () => stderr);
    const res = await fetch(`${url}${path}`);
    child.kill('SIGTERM');
    const body = await res.text();
    const end = await exited(child, 15_000);
    if (end === undefined) return undefined;
    for (let waited = 0; waited < 5000 && !until(lines); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { ...end, body, lines: [...lines], stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    socket.close();
  }
}

/** The sum of a counter's values over `lines` (statsd sums counters). */
export function counted(lines: readonly string[], name: string): number {
  return lines
    .filter((l) => l.startsWith(`${name}:`) && l.endsWith('|c'))
    .reduce((sum, l) => sum + Number(l.slice(name.length + 1, -2)), 0);
}

/** How many timer lines `name` has. */
export function timers(lines: readonly string[], name: string): number {
  return lines.filter((l) => l.startsWith(`${name}:`) && l.endsWith('|ms')).length;
}

/**
 * The shutdown scenario every example runs (issue 12, item 7): SIGTERM while `/slow` is in flight — the
 * request completes, the process exits by the signal, and that request's metrics (counters still being
 * summed included) reach the receiver.
 */
export function shutdownScenario(serverUrl: URL): void {
  const script = fileURLToPath(serverUrl);
  it('SIGTERM: in-flight request finishes, metrics arrive, process exits as by the signal', async () => {
    const run = await runShutdown(
      script,
      '/slow?ms=400',
      (l) => counted(l, 'example.http.view.slow.response.200') > 0,
    );
    expect(run, 'the process did not exit within 15 s of SIGTERM').toBeDefined();
    expect(run?.body).toBe('working... done');
    expect(run?.signal).toBe('SIGTERM');
    expect(run?.stderr).toBe('');
    const lines = run?.lines ?? [];
    expect(timers(lines, 'example.http.view.slow.GET')).toBe(1);
    expect(counted(lines, 'example.http.view.slow.response.200')).toBe(1);
    expect(counted(lines, 'example.http.response.2xx')).toBe(1);
  }, 40_000);
}
