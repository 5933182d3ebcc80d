/**
 * Issue 22 item 8: a poll with thresholds and a BigInt tag value reported the gauge, then the threshold
 * path's JSON.stringify(tags) threw inside a promise: an unhandled rejection, exit code 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childRunner, udpReceiver } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-issue22-8-'));
let run: Awaited<ReturnType<typeof childRunner>>;

beforeAll(async () => {
  run = await childRunner(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('issue 22.8: a BigInt tag value with thresholds', { timeout: 20_000 }, () => {
  test.each([
    ['an async poll', 'async () => 42'],
    ['a sync poll', '() => 42'],
  ])('%s: the process survives, the gauge and the alert are delivered', async (_what, fn) => {
    const receiver = await udpReceiver();
    try {
      const { code, out, err } = await run(`
const stats = new StatsClient({ port: ${receiver.port}, aggregate: false });
const p = poll(stats, 'queue.depth', ${fn}, {
  interval: 50,
  tags: { shard: 10n, host: 'a' },
  thresholds: { above: 10 },
  onThreshold: (e) => console.log('ALERT', e.state, e.name, JSON.stringify(e.tags)),
  onError: (e) => console.log('ERROR', e.code, e.message),
});
await new Promise((r) => setTimeout(r, 200));
await stats.close();
`);
      expect(err).not.toContain('Unhandled');
      expect(code).toBe(0);
      expect(out).toContain('ALERT breach queue.depth {"shard":"10","host":"a"}');
      expect(out).not.toContain('ERROR');
      expect(out.match(/ALERT/g)).toHaveLength(1); // one state per series, not one per sample
      // the client itself drops the BigInt tag (an invalid tag, reported to its own onError)
      expect(receiver.lines).toContain('queue.depth:42|g|#host:a');
      expect(receiver.lines).toContain('queue.depth.threshold.breach:1|c|#host:a');
    } finally {
      await receiver.close();
    }
  });
});
