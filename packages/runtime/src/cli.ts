#!/usr/bin/env node
/**
 * statskit-host: the host collectors against a statsd server, until SIGINT/SIGTERM. See the README.
 */
import { parseArgs } from 'node:util';
import { type ClientOptions, StatsClient, type StatsError, type TagFormat } from '@statskit/client';
import { closest } from './catalogue.js';
import { collectHostMetrics } from './host.js';
import { MAX_TIMER_MS } from './schedule.js';
import type { MetricSink } from './sink.js';
import type { ThresholdEvent, ThresholdOptions } from './threshold.js';

const USAGE = `Usage: statskit-host [options]

Send this machine's metrics (memory, CPU, load, disk space and I/O, network) to a statsd server.

  --host <host>          statsd host (env STATSD_HOST, default 127.0.0.1)
  --port <port>          statsd port (env STATSD_PORT, default 8125)
  --protocol <udp|tcp>   transport (env STATSD_PROTOCOL, default udp)
  --prefix <prefix>      prefix of every name (env STATSD_PREFIX, default none); names are <prefix>.host.*
  --interval <duration>  time between readings: 500ms, 10s, 1m; a bare number is ms
                         (env STATSD_INTERVAL, default 10s)
  --mode <names|tags>    entity (mount, device, interface) in the name or as a tag (env STATSD_MODE, default names)
  --tags <k:v,...>       tags on every metric (env STATSD_TAGS)
  --tag-format <f>       datadog | telegraf | graphite | none (env STATSD_TAG_FORMAT, default datadog)
  --threshold <spec>     a limit, repeatable (env STATSD_THRESHOLDS, separated by ';'):
                         <name>(>|<)<limit>[:<recover>][@<duration>], name relative to "host.",
                         e.g. 'memory.percent>90:80@30s' or 'disk.root.free<1e9:2e9'.
                         Breaches and recoveries are printed to stderr and counted.
  --verbose, -v          print every line sent, to stdout
  --help, -h             this text
`;

class UsageError extends Error {}

/** `500ms`, `10s`, `1.5m`, `1h`, or a bare number of ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${what}: not a duration: ${text} (try 500ms, 10s, 1m)`);
  const unit = m[2] ?? 'ms';
  const scale = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  const ms = Number(m[1]) * scale;
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(
      `${what}: ${text} is too long: at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest Node timer)`,
    );
  }
  return ms;
}

/** `memory.percent>90:80@30s` → ['memory.percent', { above: 90, recover: 80, for: 30000 }]. */
export function parseThreshold(spec: string): [string, ThresholdOptions] {
  const m = /^\s*([^<>\s]+)\s*([<>])\s*([^:@\s]+)(?::([^@\s]+))?(?:@(\S+))?\s*$/.exec(spec);
  if (m === null) throw new UsageError(`--threshold: cannot read '${spec}' (e.g. memory.percent>90:80@30s)`);
  const num = (s: string, what: string) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new UsageError(`--threshold '${spec}': ${what} is not a number`);
    return v;
  };
  const limit = num(m[3] as string, 'the limit');
  const t: ThresholdOptions = {
    ...(m[2] === '>' ? { above: limit } : { below: limit }),
    ...(m[4] === undefined ? {} : { recover: num(m[4], 'the recovery level') }),
    ...(m[5] === undefined ? {} : { for: parseDuration(m[5], `--threshold '${spec}'`) }),
  };
  return [m[1] as string, t];
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Both clients: the real one, and with --verbose a second one writing the same lines to stdout. */
function tee(a: StatsClient, b: StatsClient): MetricSink {
  return {
    gauge: (name, value, opts) => {
      a.gauge(name, value, opts);
      b.gauge(name, value, opts);
    },
    incr: (name, value, opts) => {
      a.incr(name, value, opts);
      b.incr(name, value, opts);
    },
    onClose: (fn) => a.onClose(fn),
    get closed() {
      return a.closed;
    },
  };
}

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  protocol: { type: 'string' },
  prefix: { type: 'string' },
  interval: { type: 'string' },
  mode: { type: 'string' },
  tags: { type: 'string' },
  'tag-format': { type: 'string' },
  threshold: { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** parseArgs, with "did you mean --interval" for a mistyped flag. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, options: FLAGS }).values;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const flag = /'--?([^'=]+)/.exec(err instanceof Error ? err.message : '')?.[1];
    if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || flag === undefined) throw err;
    const near = closest(flag, Object.keys(FLAGS));
    throw new UsageError(
      near === undefined ? `unknown option --${flag}` : `unknown option --${flag}; did you mean --${near}?`,
    );
  }
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const values = parseFlags(argv);
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const protocol = values.protocol ?? env.STATSD_PROTOCOL ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp')
    throw new UsageError(`--protocol: udp or tcp, got ${protocol}`);
  const mode = values.mode ?? env.STATSD_MODE ?? 'names';
  if (mode !== 'names' && mode !== 'tags') throw new UsageError(`--mode: names or tags, got ${mode}`);
  const interval = parseDuration(values.interval ?? env.STATSD_INTERVAL ?? '10s', '--interval');
  const specs = values.threshold ?? (env.STATSD_THRESHOLDS ?? '').split(';').filter((s) => s.trim() !== '');
  const thresholds: Record<string, ThresholdOptions[]> = {};
  for (const spec of specs) {
    const [name, t] = parseThreshold(spec);
    const list = thresholds[name] ?? [];
    list.push(t);
    thresholds[name] = list;
  }
  const tagText = values.tags ?? env.STATSD_TAGS;
  const tagFormat = (values['tag-format'] ?? env.STATSD_TAG_FORMAT) as TagFormat | undefined;

  const onError = (err: StatsError) => process.stderr.write(`statskit-host: ${err.code}: ${err.message}\n`);
  const shared: ClientOptions = {
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    ...(tagText === undefined ? {} : { tags: parseTags(tagText) }),
    ...(tagFormat === undefined ? {} : { tagFormat }),
    // one reading per interval already: the client's aggregation (on by default) would only delay them
    aggregate: false,
    onError,
  };
  const stats = new StatsClient({
    ...shared,
    protocol,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.port === undefined ? {} : { port: values.port }),
  });
  const echo =
    values.verbose === true ? new StatsClient({ ...shared, transport: process.stdout }) : undefined;
  const sink: MetricSink = echo === undefined ? stats : tee(stats, echo);

  const onThreshold = (e: ThresholdEvent) => {
    const tags = e.tags === undefined ? '' : ` ${JSON.stringify(e.tags)}`;
    process.stderr.write(
      `statskit-host: ${e.state} ${e.name}${tags} = ${e.value} (${e.direction} ${e.limit}, recovers at ${e.recover})\n`,
    );
  };
  const collector = collectHostMetrics(sink, { interval, mode, thresholds, onThreshold, onError });
  // The collector's timers are unref'd (a library never keeps an app alive); the agent is the app.
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (echo !== undefined) {
    process.stderr.write(
      `statskit-host: every ${interval} ms to ${protocol} ${values.host ?? env.STATSD_HOST ?? '127.0.0.1'}:${values.port ?? env.STATSD_PORT ?? 8125}\n`,
    );
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  collector.stop();
  clearInterval(keepAlive);
  await Promise.all([stats.close(), echo?.close()]);
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = (err as { code?: unknown } | undefined)?.code;
    const usage =
      err instanceof UsageError ||
      code === 'STATSKIT_ERR_INVALID_OPTION' ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`statskit-host: ${err instanceof Error ? err.message : String(err)}\n`);
    if (usage) process.stderr.write('Try statskit-host --help\n');
    process.exitCode = usage ? 2 : 1;
  },
);
