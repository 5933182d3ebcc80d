/**
 * At scale, on the engine statsd shops run: the daemon's own cluster proxy (`proxy.js`, a consistent
 * hashring with health checks) in front of 3 daemons that all flush to the same carbon. 6 app processes
 * (3 aggregating in process, 3 not) send the same names through it; one daemon is killed mid-run.
 *
 * Each daemon adds its own `globalSuffix` (`.d0`, `.d1`, `.d2`), so carbon shows which daemon aggregated
 * each name. Checked: before the kill every name lives on exactly one daemon; the names of the
 * surviving daemons add up in carbon to exactly what the apps sent (the measured UDP loss, lines sent
 * minus the daemons' `statsd.metrics_received`, is printed); the killed daemon's names move to exactly
 * one survivor and never total more than was sent (nothing doubled); statskit's own telemetry shows no
 * drop and no error, since the proxy stays up.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  graphiteUp,
  points,
  render,
  startCarbonStatsd,
  startStatsdProxy,
  testPrefix,
  waitFor,
} from '../helpers/graphite.js';

const up = await graphiteUp();
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

const APPS = 6;
const NAMES = 24;
const ROUNDS = 50;
const ROUND_MS = 100;
const FLUSH_MS = 1000;

const APP = `
import { StatsClient } from ${JSON.stringify(DIST)};
const [port, aggregate] = process.argv.slice(2);
const errors = [];
const stats = new StatsClient({
  port: Number(port), server: 'etsy', tagFormat: 'none', flushInterval: 20, // etsy's multi-value lines, as before issue 21
  aggregate: aggregate === '1' ? true : undefined,
  onError: (e) => errors.push(e.code),
});
for (let r = 0; r < ${ROUNDS}; r++) {
  for (let k = 0; k < ${NAMES}; k++) {
    stats.incr('cl.c' + k, 1 + (k % 3));
    stats.timing('cl.t' + k, k + (r % 10));
  }
  await new Promise((res) => setTimeout(res, ${ROUND_MS}));
}
await stats.close();
process.stdout.write(JSON.stringify({ telemetry: stats.telemetry(), errors }));
`;

function runApp(
  file: string,
  port: number,
  aggregate: boolean,
): Promise<{ telemetry: { linesSent: number; linesDropped: number }; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, String(port), aggregate ? '1' : '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`app exited ${code}: ${err}`));
    });
  });
}

describe.skipIf(!up)('statskit through the statsd cluster proxy (3 daemons, one killed mid-run)', () => {
  it('each name on one daemon, totals in carbon equal what was sent, nothing doubled by re-hashing', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build (npm test does)`);
    const gp = testPrefix('cluster');
    await using d0 = await startCarbonStatsd({
      globalPrefix: gp,
      globalSuffix: 'd0',
      flushInterval: FLUSH_MS,
    });
    await using d1 = await startCarbonStatsd({
      globalPrefix: gp,
      globalSuffix: 'd1',
      flushInterval: FLUSH_MS,
    });
    await using d2 = await startCarbonStatsd({
      globalPrefix: gp,
      globalSuffix: 'd2',
      flushInterval: FLUSH_MS,
    });
    const daemons = [d0, d1, d2];
    await using proxy = await startStatsdProxy(daemons, 500);
    const dir = mkdtempSync(join(tmpdir(), 'statskit-cluster-'));
    const file = join(dir, 'app.mjs');
    writeFileSync(file, APP);
    try {
      const started = Date.now();
      const apps = Array.from({ length: APPS }, (_, i) => runApp(file, proxy.udpPort, i % 2 === 0));
      // kill the daemon d1 half-way through the run
      await new Promise((r) => setTimeout(r, (ROUNDS * ROUND_MS) / 2));
      await d1.kill();
      const killedAt = Math.floor(Date.now() / 1000);
      const results = await Promise.all(apps);
      const runMs = Date.now() - started;

      // statskit saw nothing wrong: the proxy was up all along
      for (const r of results) {
        expect(r.errors).toEqual([]);
        expect(r.telemetry.linesDropped).toBe(0);
      }
      const linesSent = results.reduce((a, r) => a + r.telemetry.linesSent, 0);

      const perCounter = (k: number) => APPS * ROUNDS * (1 + (k % 3));
      const perTimer = APPS * ROUNDS;
      // every name's series, per daemon: <gp>.counters.cl.c<k>.count.d<n>
      const byName = async (kind: 'counters' | 'timers', stat: string) => {
        const out = new Map<string, Map<string, Array<[number, number]>>>();
        for (const s of await render([`${gp}.${kind}.cl.*.${stat}.*`], '-5min')) {
          const parts = s.target.split('.');
          const daemon = parts[parts.length - 1] as string;
          const name = parts[parts.length - 3] as string;
          const m = out.get(name) ?? new Map();
          m.set(daemon, points(s));
          out.set(name, m);
        }
        return out;
      };
      const total = (m: Map<string, Array<[number, number]>> | undefined) =>
        [...(m?.values() ?? [])].flat().reduce((a, [v]) => a + v, 0);
      // wait for the survivors' last flush to reach carbon
      let counters = new Map<string, Map<string, Array<[number, number]>>>();
      await waitFor(
        async () => {
          counters = await byName('counters', 'count');
          if (counters.size < NAMES) return undefined;
          for (let k = 0; k < NAMES; k++) {
            const m = counters.get(`c${k}`);
            if (m !== undefined && !m.has('d1') && total(m) !== perCounter(k)) return undefined;
          }
          return true;
        },
        20_000,
        'the survivors’ totals in carbon',
        () => [...counters].map(([n, m]) => [n, [...m.keys()], total(m)]),
      );
      const timers = await byName('timers', 'count');

      let moved = 0;
      let lost = 0;
      for (let k = 0; k < NAMES; k++) {
        for (const [series, want] of [
          [counters.get(`c${k}`), perCounter(k)],
          [timers.get(`t${k}`), perTimer],
        ] as const) {
          expect(series).toBeDefined();
          const owners = [...(series as Map<string, Array<[number, number]>>).keys()];
          if (!owners.includes('d1')) {
            // never re-hashed: one daemon, exactly what was sent
            expect(owners, `name ${k}`).toHaveLength(1);
            expect(total(series), `name ${k} on ${owners}`).toBe(want);
          } else {
            // d1's names: d1 until the kill, then exactly one survivor (never before the kill);
            // what d1 held unflushed is lost, nothing is doubled
            moved++;
            lost += want - total(series);
            const survivors = owners.filter((d) => d !== 'd1');
            expect(survivors.length, `name ${k} on ${owners}`).toBeLessThanOrEqual(1);
            for (const d of survivors) {
              for (const [, ts] of series?.get(d) ?? []) expect(ts).toBeGreaterThanOrEqual(killedAt - 1);
            }
            for (const [, ts] of series?.get('d1') ?? []) expect(ts).toBeLessThanOrEqual(killedAt + 1);
            expect(total(series)).toBeLessThanOrEqual(want);
            expect(total(series)).toBeGreaterThan(0);
          }
        }
      }
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThan(2 * NAMES);

      // the measured UDP loss: lines the apps sent vs lines the daemons received (all but what d1 held)
      const received = points(
        (await render([`sumSeries(${gp}.counters.statsd.metrics_received.count.*)`], '-5min'))[0],
      ).reduce((a, [v]) => a + v, 0);
      console.log(
        `cluster: ${APPS} apps, ${linesSent} lines in ${runMs} ms through the proxy; daemons received ${received}; ${moved} of ${2 * NAMES} names re-hashed after the kill; they lost ${lost} (counter increments + timer samples) that the killed daemon held or was sent before the proxy's health check noticed`,
      );
      expect(received).toBeLessThanOrEqual(linesSent);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
