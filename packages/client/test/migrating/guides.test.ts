/**
 * docs/migrating.md's examples, extracted and run: each `<!-- run: name -->` block is written out with port
 * 8125 pointed at a loopback UDP receiver, run by node from the repository (so `@statskit/*`, hot-shots,
 * express-hot-shots, dats, node-statsd, lynx and statsd-client resolve as for a user), and must exit
 * cleanly. `same-as: other` means the same lines as the other example; `same-names-as` the same lines
 * with measured durations ignored.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const guide = readFileSync(`${root}docs/migrating.md`, 'utf8');
const outDir = `${root}node_modules/.cache/statskit-migrating`;

interface Example {
  readonly name: string;
  readonly code: string;
  readonly same?: string | undefined;
  readonly sameNames?: string | undefined;
}

const examples: Example[] = [];
for (const m of guide.matchAll(
  /<!-- run: ([\w-]+)(?: (same-as|same-names-as): ([\w-]+))? -->\n```js\n([\s\S]*?)```/g,
)) {
  const [, name, relation, other, code] = m as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
    string,
  ];
  examples.push({
    name,
    code,
    ...(relation === 'same-as' ? { same: other } : {}),
    ...(relation === 'same-names-as' ? { sameNames: other } : {}),
  });
}

/** What each example sent, by name. */
const sent = new Map<string, string[]>();

async function runExample(ex: Example): Promise<string[]> {
  const cached = sent.get(ex.name);
  if (cached !== undefined) return cached;
  await using rx = await udpReceiver();
  const file = `${outDir}/${ex.name}.mjs`;
  writeFileSync(file, ex.code.replaceAll('8125', String(rx.port)));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DD_') || k.startsWith('STATSD_')) delete env[k];
  await run(process.execPath, [file], { cwd: root, env, timeout: 20_000 });
  await new Promise((r) => setTimeout(r, 100));
  const lines = [...rx.lines].sort();
  sent.set(ex.name, lines);
  return lines;
}

const byName = (name: string): Example => {
  const ex = examples.find((e) => e.name === name);
  if (ex === undefined) throw new Error(`no example ${name}`);
  return ex;
};
const durations = (lines: string[]): string[] =>
  lines.map((l) => l.replace(/:\d+(\.\d+)?\|ms/, ':N|ms')).sort();

beforeAll(() => {
  mkdirSync(outDir, { recursive: true });
});

test('the guide has its examples', () => {
  expect(examples.map((e) => e.name)).toEqual([
    'hot-shots-before',
    'hot-shots-after',
    'hot-shots-client',
    'hot-shots-mock',
    'express-hot-shots-before',
    'express-hot-shots-transition',
    'express-hot-shots-after',
    'dats-before',
    'dats-after',
    'fastify-metrics-after',
    'node-statsd-before',
    'node-statsd-after',
    'lynx-before',
    'lynx-after',
    'statsd-client-before',
    'statsd-client-after',
  ]);
});

describe.each(examples)('$name', (ex) => {
  test('runs and exits cleanly', async () => {
    const lines = await runExample(ex);
    if (ex.name !== 'hot-shots-mock') expect(lines.length).toBeGreaterThan(0);
    if (ex.same !== undefined) expect(lines).toEqual(await runExample(byName(ex.same)));
    if (ex.sameNames !== undefined)
      expect(durations(lines)).toEqual(durations(await runExample(byName(ex.sameNames))));
  }, 30_000);
});

test('what the guide says they send', async () => {
  expect(await runExample(byName('hot-shots-before'))).toEqual([
    'shop.checkout:42|ms|#env:prod,step:pay',
    'shop.orders:1|c|#env:prod',
    'shop.queue.depth:7|g|#env:prod',
  ]);
  expect(durations(await runExample(byName('express-hot-shots-before')))).toEqual([
    'shop.http.get.users.response_time:N|ms',
    'shop.http.get.users.status_code.200:1|c',
  ]);
  expect(durations(await runExample(byName('express-hot-shots-after')))).toEqual(
    expect.arrayContaining([
      'shop.http.view.users._id.GET:N|ms',
      'shop.http.view.users._id.response.200:1|c',
    ]),
  );
  expect(durations(await runExample(byName('fastify-metrics-after')))).toEqual(
    expect.arrayContaining([
      'shop.http.view.users._id.GET:N|ms',
      'shop.http.view.users._id.response.200:1|c',
    ]),
  );
  expect(await runExample(byName('lynx-before'))).toEqual([
    'shop.checkout:42|ms',
    'shop.orders:1|c',
    'shop.queue.depth:7|g',
  ]);
}, 60_000);
