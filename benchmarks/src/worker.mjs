/**
 * One benchmark child: a single (client, workload, mode), so JIT and GC state never leak between
 * clients. Driven over IPC by run.mjs:
 *   { type: 'init', client, workload, mode, host, port, n }  → { type: 'ready', ... } | { type: 'na', reason }
 *   { type: 'run', ops, chunk }                                   → { type: 'done', ... }
 * Each run creates a fresh client, makes the calls in chunks that yield to the event loop
 * (setImmediate), then awaits the adapter's close(). Run with --expose-gc for a clean RSS baseline.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { loadAdapter } from './adapters/index.mjs';
import { WORKLOADS } from './workloads.mjs';

/** @type {import('./adapters/index.mjs').Adapter} */
let adapter;
/** @type {import('./workloads.mjs').Prepared} */
let prepared;
/** @type {import('./adapters/index.mjs').CreateOptions} */
let target;

const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);

/**
 * @param {number} ops
 * @param {number} chunkCalls
 */
async function run(ops, chunkCalls) {
  const chunkOps = Math.max(1, Math.round(chunkCalls / prepared.callsPerOp));
  const step = prepared.step;
  gc?.();
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const client = adapter.create(target);
  // Reading RSS costs tens of µs (a /proc read): sample it every few chunks and keep its time out of
  // the measurement.
  let sampling = 0;
  let chunk = 0;
  const t0 = performance.now();
  let i = 0;
  while (i < ops) {
    const end = Math.min(ops, i + chunkOps);
    for (; i < end; i++) step(client, i);
    if ((++chunk & 7) === 0) {
      const s0 = performance.now();
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      sampling += performance.now() - s0;
    }
    await tick();
  }
  const t1 = performance.now();
  await client.close();
  const t2 = performance.now();
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
  return {
    type: 'done',
    calls: ops * prepared.callsPerOp,
    loopMs: t1 - t0 - sampling,
    closeMs: t2 - t1,
    rssGrowth: peak - rss0,
  };
}

process.on('message', async (/** @type {any} */ m) => {
  try {
    if (m.type === 'init') {
      adapter = await loadAdapter(m.client);
      if (m.mode !== 'unbuffered' && !adapter.buffered) {
        process.send?.({ type: 'na', reason: 'no buffering' });
        return;
      }
      if (m.mode === 'aggregated' && !adapter.aggregated) {
        process.send?.({ type: 'na', reason: 'no aggregation' });
        return;
      }
      const p = WORKLOADS[m.workload]?.prepare(adapter, m.n);
      if (p === undefined) throw new Error(`unknown workload ${m.workload}`);
      if ('na' in p) {
        process.send?.({ type: 'na', reason: p.na });
        return;
      }
      prepared = p;
      target = {
        host: m.host,
        port: m.port,
        buffered: m.mode !== 'unbuffered',
        aggregated: m.mode === 'aggregated',
      };
      process.send?.({
        type: 'ready',
        ops: p.ops,
        callsPerOp: p.callsPerOp,
        expected: p.expected,
        deliveredBy: p.deliveredBy,
        variant: p.variant,
      });
    } else if (m.type === 'run') {
      process.send?.(await run(m.ops, m.chunk));
    }
  } catch (err) {
    process.send?.({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
process.on('disconnect', () => process.exit(0));
