/**
 * "The examples in hot-shots' README, pasted with only the import changed, type-check and run": the
 * TypeScript and ESM examples are type-checked with the package (`npm run typecheck`) and run here; the
 * CommonJS ones are run by node against the build, and type-checked by tsc with `checkJs`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';
import { esmExample } from './fixtures/readme-esm.js';
import { typescriptExample } from './fixtures/readme-typescript.js';

const run = promisify(execFile);
const pkg = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const saved = process.env['DD_DOGSTATSD_PORT'];
afterEach(() => {
  if (saved === undefined) delete process.env['DD_DOGSTATSD_PORT'];
  else process.env['DD_DOGSTATSD_PORT'] = saved;
});

test('the ESM example runs and sends what it says', async () => {
  await using rx = await udpReceiver();
  process.env['DD_DOGSTATSD_PORT'] = String(rx.port); // the example uses the default port
  const client = esmExample();
  await rx.waitForLines(1);
  client.close();
  expect(rx.lines).toEqual(['my_gauge:123.45|g']);
});

test('the TypeScript example runs and sends what it says (to port 8125, which it names)', async () => {
  let rx: Awaited<ReturnType<typeof udpReceiver>> | undefined;
  try {
    rx = await udpReceiver('udp4', 8125);
  } catch {
    // 8125 taken by a statsd on this machine: the example still has to run without throwing
  }
  const client = typescriptExample();
  if (rx !== undefined) {
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['my_histogram:42|h|#env:production']);
    await rx.close();
  }
  client.close();
});

test('the CommonJS example runs with require() returning the class', async () => {
  await using rx = await udpReceiver();
  await run(process.execPath, [fixture('readme-commonjs.cjs')], {
    cwd: pkg,
    env: { ...process.env, DD_DOGSTATSD_PORT: String(rx.port) },
    timeout: 10_000,
  });
  await rx.waitForLines(1);
  expect(rx.lines).toEqual(['my_counter:1|c']);
});

test('the "StatsD methods" example runs to completion and sends every metric it shows', async () => {
  await using rx = await udpReceiver('udp4', 8020); // the port the README's example names
  const { stdout, stderr } = await run(process.execPath, [fixture('readme-usage.cjs')], {
    cwd: pkg,
    env: { ...process.env, NODE_ENV: 'production', DD_ENV: '', DD_SERVICE: '', DD_VERSION: '' },
    timeout: 15_000,
  });
  expect(stdout).toContain('Successfully sent');
  expect(stdout).toContain('Sent counter with tags');
  expect(stdout).toContain('Code run and metric sent');
  expect(stdout).toContain('Data fetched with timing recorded');
  await rx.waitFor((r) => r.lines.some((l) => l.startsWith('api_call_time:')));
  // measured durations vary: shown as N (the fixed `response_time:42` is kept); lines sampled at 0.25 are
  // not expected
  const lines = rx.lines.map((l) =>
    /^(fn_execution_time|api_call_time|add_time|response_time):(?!42\|)/.test(l)
      ? l.replace(/:\d+(\.\d+)?\|/, ':N|')
      : l,
  );
  for (const expected of [
    'my_counter:1|c|#env:production',
    'my_counter:-1|c|#env:production',
    'my_histogram:42|h|#env:production',
    'my_distribution:42|d|#env:production',
    'my_gauge:123.45|g|#env:production',
    'my_gauge:-10|g|#env:production',
    'my_gauge:+4|g|#env:production',
    'my_unique:foobar|s|#env:production',
    'my_unique:foobarbaz|s|#env:production',
    '_sc|service.up|0|h:host-1|#env:production,foo,bar',
    'these:1|c|#env:production',
    'stats:1|c|#env:production',
    'my_counter:1|c|#env:production,foo,bar',
    'my_counter:1|c|#env:production',
    'my_histogram:42|h|#env:production,foo,bar',
    'my_gauge:42|g|T1640995200|#env:production',
    'my_counter:1|c|T1640995200|#env:production',
    'foo:42|s|#env:production',
    'bar:42|s|#env:production',
    'response_time:42|ms|#env:production',
    'response_time:N|ms|#env:production',
    'fn_execution_time:N|ms|#env:production',
    'fn_execution_time:N|ms',
    'fn_execution_time:N|d',
    'api_call_time:N|ms|#status:200,cached:false',
    'add_time:N|ms',
    'my_histogram:42|h|#env:production,tag:value',
    'my_counter_with_more_tags.additionalSuffix:1|c|#env:production,globalTag1:forAllMetricsFromChildClient'.replace(
      'my_counter',
      'additionalPrefix.my_counter',
    ),
  ]) {
    expect(lines, expected).toContain(expected);
  }
  // The example sends nothing through its errorHandler; the unix socket client it builds last reports
  // its missing socket as a warning.
  expect(stderr).not.toContain('errorHandler:');
}, 20_000);

test("the CommonJS examples type-check against the package types (checkJs); only the README's own `var fn` redeclarations are flagged", async () => {
  const tsc = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));
  const args = [
    tsc,
    '--noEmit',
    '--allowJs',
    '--checkJs',
    '--module',
    'node16',
    '--moduleResolution',
    'node16',
    '--target',
    'es2022',
    '--types',
    'node',
    '--skipLibCheck',
    fixture('readme-usage.cjs'),
    fixture('readme-commonjs.cjs'),
  ];
  const out = await run(process.execPath, args, { cwd: pkg, timeout: 60_000 }).then(
    (r) => r.stdout,
    (e: { stdout: string }) => e.stdout,
  );
  const diagnostics = out.split('\n').filter((l) => /error TS\d+/.test(l));
  // `var fn = function (a, b) …` then `var fn = function () …`: TypeScript refuses the README's own
  // redeclaration of one variable with two types, whatever the library (hot-shots' types fail there too).
  expect(diagnostics.map((d) => /error (TS\d+)/.exec(d)?.[1])).toEqual(['TS2403', 'TS2403']);
}, 60_000);
