import os from 'node:os';
import { ADAPTERS } from '../adapters/index.mjs';
import { WORKLOADS } from '../workloads.mjs';
import { median } from './stats.mjs';

/**
 * @typedef {object} Row
 * @property {string} workload
 * @property {string} client
 * @property {string} version
 * @property {Mode} mode
 * @property {'ok' | 'na'} status
 * @property {string} [reason]      why N/A
 * @property {string} [variant]     how the client ran a workload it cannot run as specified
 * @property {number} [calls]       metric calls per run
 * @property {number} [runs]
 * @property {number} [nsPerCall]   median over runs
 * @property {number} [callsPerSec]
 * @property {number} [packets]     median over runs
 * @property {number} [bytes]       median over runs
 * @property {number} [delivered]   worst run: received / sent (counter sum, or lines for timings)
 * @property {number} [rssGrowth]   largest peak RSS growth over runs, bytes
 * @property {number} [closeMs]     median time close() took
 * @property {number} [rcvbufDrops] datagrams the kernel dropped at full receive buffers during the runs (machine-wide)
 * @property {number} [ratio]       nsPerCall / statskit's for the same workload and mode
 * @property {string} [node]        the Node.js version that ran it (`process.version`)
 * @property {string} [node]        the Node.js version that ran it (`process.version`)
 * @property {object[]} [perRun]
 */

/** @typedef {'buffered' | 'unbuffered' | 'aggregated'} Mode */

/** @type {readonly Mode[]} */
export const MODES = ['buffered', 'unbuffered', 'aggregated'];

/**
 * Some run lost metrics while the kernel was dropping datagrams at full receive buffers.
 * @param {Row} r
 */
const lostAtReceiver = (r) =>
  /** @type {{ delivered: number; rcvbufDrops?: number }[]} */ (r.perRun ?? []).some(
    (x) => x.delivered < 1 && (x.rcvbufDrops ?? 0) > 0,
  );

/** @param {number} ns */
const fmtNs = (ns) => (ns < 100 ? ns.toFixed(1) : Math.round(ns).toLocaleString('en-US'));

/** @param {number} x */
function fmtRate(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)} k`;
  return x.toFixed(0);
}

/** @param {number} b */
function fmtBytes(b) {
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b} B`;
}

/** @param {number} f */
const fmtFraction = (f) => `${(f * 100).toFixed(f >= 0.9995 && f <= 1.0005 ? 1 : 2)} %`;

/**
 * Median delivery over the runs; the worst run too when it differs, marked ‡ when the kernel was
 * dropping datagrams at full receive buffers in a run that lost metrics.
 * @param {Row} r
 */
function fmtDelivered(r) {
  const runs = /** @type {{ delivered: number }[]} */ (r.perRun ?? []);
  const med = runs.length > 0 ? median(runs.map((x) => x.delivered)) : (r.delivered ?? 0);
  const worst = r.delivered ?? med;
  const mark = lostAtReceiver(r) ? ' ‡' : '';
  if (fmtFraction(worst) === fmtFraction(med)) return `${fmtFraction(med)}${mark}`;
  return `${fmtFraction(med)} (worst ${fmtFraction(worst)}${mark})`;
}

/** @param {number} b */
const fmtMiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** @param {number} r */
const fmtRatio = (r) => `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;

/**
 * The Node.js version(s) that produced `rows`, for a table's caption: each row's `node`, else `fallback`
 * (rows saved before rows carried it).
 * @param {Row[]} rows
 * @param {string} fallback
 */
export function nodeOf(rows, fallback) {
  return [...new Set(rows.map((r) => r.node ?? fallback))].join(', ');
}

/**
 * Markdown tables, one per workload, buffered rows first; each names the Node.js that produced it.
 * @param {Row[]} rows
 * @param {string} [fallbackNode] the Node.js version of rows that do not say (default: this process's)
 */
export function renderTables(rows, fallbackNode = process.version) {
  const out = [];
  for (const [key, w] of Object.entries(WORKLOADS)) {
    const mine = rows.filter((r) => r.workload === key);
    if (mine.length === 0) continue;
    out.push(`### ${w.title}`, '', `${w.description}. Node.js ${nodeOf(mine, fallbackNode)}.`, '');
    out.push(
      '| client | mode | ns/call | calls/s | packets | bytes | delivered | peak ΔRSS | time vs statskit |',
      '|---|---|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const mode of MODES) {
      for (const client of ADAPTERS) {
        const r = mine.find((x) => x.client === client && x.mode === mode);
        if (r === undefined) continue;
        if (r.status === 'na') {
          if (mode === 'aggregated') continue; // only two clients aggregate: no N/A rows for the rest
          const label = client === 'baseline' ? '*baseline (not a client)*' : client;
          out.push(`| ${label} | ${mode} | N/A: ${r.reason} | | | | | | |`);
          continue;
        }
        const label = client === 'baseline' ? '*baseline (not a client)*' : client;
        const name = r.variant === undefined ? label : `${label} †`;
        out.push(
          `| ${name} | ${mode} | ${fmtNs(r.nsPerCall ?? 0)} | ${fmtRate(r.callsPerSec ?? 0)} | ` +
            `${Math.round(r.packets ?? 0).toLocaleString('en-US')} | ${fmtBytes(r.bytes ?? 0)} | ` +
            `${fmtDelivered(r)} | ${fmtMiB(r.rssGrowth ?? 0)} | ` +
            `${r.ratio === undefined ? '' : fmtRatio(r.ratio)} |`,
        );
      }
    }
    if (mine.some(lostAtReceiver)) {
      out.push(
        '',
        '‡ the kernel dropped datagrams at a full UDP receive buffer during these runs (`RcvbufErrors` in ' +
          '/proc/net/snmp; machine-wide, so other processes can add to it): missing metrics were lost at the ' +
          'receiver, not kept back by the client.',
      );
    }
    if (mine.some((r) => r.variant !== undefined)) {
      out.push('', '† no per-call tags: sends the names only, so it does less work than the other rows.');
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * The targets: buffered `incr`, statskit's default ≤ 1/10 of hot-shots' time and ≤ 1/3 of dats' (issue 4);
 * the request mix, statskit's default (no server named: one line per timer sample) ≤ 1/5 of hot-shots'
 * time and with a named server (`server: 'dogstatsd'`, multi-value lines) ≤ 1/10 (issue 21); 100 %
 * delivered.
 * @param {Row[]} rows
 */
export function checkTargets(rows) {
  const lines = [];
  for (const workload of ['incr', 'mix', 'timing']) {
    const find = (/** @type {string} */ client, /** @type {string} */ mode) =>
      rows.find(
        (r) => r.workload === workload && r.mode === mode && r.client === client && r.status === 'ok',
      );
    // statskit's default configuration is aggregation on (the `aggregated` row); peers as they ship
    const sk = find('statskit', 'aggregated');
    const named = find('statskit-dogstatsd', 'aggregated');
    const raw = find('statskit', 'buffered');
    /** @type {[Row | undefined, string, string, number][]} */
    const targets =
      workload === 'incr'
        ? [
            [sk, 'default (aggregation on)', 'hot-shots', 10],
            [sk, 'default (aggregation on)', 'dats', 3],
          ]
        : workload === 'mix'
          ? [
              [sk, 'default (no server named)', 'hot-shots', 5],
              [named, "with server: 'dogstatsd'", 'hot-shots', 10],
            ]
          : [
              // issue 26: three per-call tags
              [sk, 'default (no server named)', 'hot-shots', 10],
              [named, "with server: 'dogstatsd'", 'hot-shots', 10],
            ];
    for (const [row, label, peer, limit] of targets) {
      const p = find(peer, 'buffered');
      if (p === undefined || row === undefined) continue;
      const speedup = (p.nsPerCall ?? 0) / (row.nsPerCall ?? 1);
      lines.push(
        `- ${workload}, statskit ${label} vs ${peer} buffered: ${peer} takes ` +
          `${speedup.toFixed(1)}× statskit's time per call (target ≥ ${limit}×): ${speedup >= limit ? 'met' : 'MISSED'}`,
      );
    }
    const base = find('baseline', 'buffered');
    if (workload === 'incr' && raw !== undefined && base !== undefined) {
      const over = (raw.nsPerCall ?? 0) / (base.nsPerCall ?? 1);
      lines.push(
        `- ${workload}, statskit raw (\`aggregate: false\`): ${over.toFixed(2)}× the pack+send floor ` +
          `(target ≤ 1.15×): ${over <= 1.15 ? 'met' : 'MISSED'}`,
      );
    }
    for (const [row, label] of /** @type {const} */ ([
      [sk, 'default'],
      [named, "server: 'dogstatsd'"],
      [raw, 'raw'],
    ])) {
      if (row === undefined) continue;
      const runs = /** @type {{ delivered: number; rcvbufDrops?: number }[]} */ (row.perRun ?? []);
      const short = runs.filter((x) => x.delivered < 1);
      const atReceiver = short.filter((x) => (x.rcvbufDrops ?? 0) > 0);
      let verdict = 'met';
      if (short.length > 0) {
        verdict =
          atReceiver.length === short.length
            ? `met by the client: the ${short.length} short run(s) (worst ${fmtFraction(row.delivered ?? 0)}) ` +
              'coincide with the kernel dropping datagrams at full UDP receive buffers'
            : 'MISSED';
      }
      lines.push(
        `- ${workload}, statskit ${label}: delivered 100 % after close() in ${runs.length - short.length} of ` +
          `${runs.length} runs (target 100 %): ${verdict}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * What the baseline row says about the targets: the per-packet floor every client pays, and the best
 * ratio any client could reach against each peer on this machine.
 * @param {Row[]} rows
 */
export function floorNotes(rows) {
  const lines = [];
  for (const workload of ['incr', 'mix', 'timing']) {
    const find = (/** @type {string} */ client, mode = 'buffered') =>
      rows.find(
        (r) => r.workload === workload && r.mode === mode && r.client === client && r.status === 'ok',
      );
    const base = find('baseline');
    const sk = find('statskit');
    if (base?.nsPerCall === undefined || sk?.nsPerCall === undefined) continue;
    const peers = ['hot-shots', 'dats']
      .map((p) => find(p))
      .filter((p) => p?.nsPerCall !== undefined)
      .map((p) => `${p?.client} ${((p?.nsPerCall ?? 0) / (base.nsPerCall ?? 1)).toFixed(1)}×`);
    const above = sk.nsPerCall - base.nsPerCall;
    lines.push(
      `- buffered ${workload}: the baseline (packing and sending the same packets, nothing else) takes ` +
        `${fmtNs(base.nsPerCall)} ns/call, statskit ${fmtNs(sk.nsPerCall)} ns/call: ` +
        (above > 0
          ? `statskit spends ${fmtNs(above)} ns/call above the floor. `
          : 'statskit is at the floor, within noise. ') +
        `A client that cost nothing at all would be at most ${peers.join(', ')} faster than the peers here.`,
    );
    // The aggregated rows send fewer packets than the baseline: their floor is the baseline's cost per
    // packet (its formatting included, so an upper bound) times the packets they sent.
    const hs = find('hot-shots');
    const calls = base.calls ?? 0;
    if (base.packets === undefined || base.packets === 0 || calls === 0 || hs?.nsPerCall === undefined)
      continue;
    const perPacket = (base.nsPerCall * calls) / base.packets;
    for (const [client, label] of /** @type {const} */ ([
      ['statskit', 'default'],
      ['statskit-dogstatsd', "server: 'dogstatsd'"],
    ])) {
      const row = find(client, 'aggregated');
      if (row?.nsPerCall === undefined || row.packets === undefined) continue;
      const floor = (perPacket * row.packets) / calls;
      lines.push(
        `- ${workload}, statskit ${label}: sends ${row.packets.toLocaleString('en-US')} packets a run; at the ` +
          `baseline's ${fmtNs(perPacket / 1000)} µs a packet that is a floor of ~${fmtNs(floor)} ns/call, so ` +
          `no client sending them could be more than ${(hs.nsPerCall / floor).toFixed(1)}× faster than ` +
          `hot-shots buffered here; statskit took ${fmtNs(row.nsPerCall)} ns/call.`,
      );
    }
  }
  return lines.join('\n');
}

/** The machine, for the report. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
