import type { MetricType, TagFormat } from '../types.js';

/** One statsd line, parsed. */
export interface ParsedMetric {
  /** Metric name without tags (prefix included). */
  readonly name: string;
  /** The type as on the wire (`c`, `g`, `ms`, `h`, `d`, `s`). */
  readonly type: MetricType;
  /** Numeric value; for sets, the member as a string. */
  readonly value: number | string;
  /** True for gauges sent with an explicit sign (`+3`, `-2`): a delta, not an absolute value. */
  readonly delta: boolean;
  /** The `|@rate` field, or 1. */
  readonly rate: number;
  /** Tags in order; a flag tag has the value `true`. */
  readonly tags: Readonly<Record<string, string | true>>;
  /** DogStatsD `|T` timestamp (seconds), if present. */
  readonly timestamp?: number;
  /** The line as received. */
  readonly raw: string;
}

const TYPES = new Set<string>(['c', 'g', 'ms', 'h', 'd', 's']);

/** Parse a `k:v` / `k=v` / flag list into an object. */
function parseTagList(list: string, sep: string, kv: string, into: Record<string, string | true>): void {
  for (const tag of list.split(sep)) {
    if (tag === '') continue;
    const i = tag.indexOf(kv);
    if (i === -1) into[tag] = true;
    else into[tag.slice(0, i)] = tag.slice(i + 1);
  }
}

/**
 * Parse one statsd line in the given tag format. Returns `undefined` for a malformed line (what a
 * strict server would count as a bad line): use it to assert that nothing malformed reached the wire.
 */
export function parseLine(line: string, format: TagFormat = 'datadog'): ParsedMetric | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  let name = line.slice(0, colon);
  const tags: Record<string, string | true> = {};
  if (format === 'telegraf' || format === 'graphite') {
    const sep = format === 'telegraf' ? ',' : ';';
    const i = name.indexOf(sep);
    if (i !== -1) {
      parseTagList(name.slice(i + 1), sep, '=', tags);
      name = name.slice(0, i);
    }
  }
  if (name === '') return undefined;
  const fields = line.slice(colon + 1).split('|');
  if (fields.length < 2) return undefined;
  const rawValue = fields[0] as string;
  const type = fields[1] as string;
  if (!TYPES.has(type) || rawValue === '') return undefined;
  let value: number | string;
  if (type === 's') value = rawValue;
  else {
    value = Number(rawValue);
    if (!Number.isFinite(value) || rawValue.trim() !== rawValue) return undefined;
  }
  let rate = 1;
  let timestamp: number | undefined;
  for (let i = 2; i < fields.length; i++) {
    const f = fields[i] as string;
    if (f.startsWith('@')) {
      rate = Number(f.slice(1));
      if (!(rate > 0 && rate <= 1)) return undefined;
    } else if (f.startsWith('#') && format === 'datadog') parseTagList(f.slice(1), ',', ':', tags);
    else if (f.startsWith('T')) timestamp = Number(f.slice(1));
    else if (f.startsWith('c:') || f.startsWith('e:')) {
      // DogStatsD container id / external data: accepted, not surfaced
    } else return undefined;
  }
  const delta = type === 'g' && (rawValue[0] === '+' || rawValue[0] === '-');
  const base = { name, type: type as MetricType, value, delta, rate, tags, raw: line };
  return timestamp === undefined ? base : { ...base, timestamp };
}

/** Parse a packet (newline-separated lines). Malformed lines are returned as `undefined` entries. */
export function parsePacket(packet: string, format: TagFormat = 'datadog'): (ParsedMetric | undefined)[] {
  return packet.split('\n').map((line) => parseLine(line, format));
}
