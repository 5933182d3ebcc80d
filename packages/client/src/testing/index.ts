/**
 * Test helpers for code that uses `@statskit/client`: a client that records metrics in memory, a statsd
 * line parser, and matchers for vitest/jest (`expect.extend(statsMatchers)`).
 *
 * @example
 * ```ts
 * import { createTestClient, statsMatchers } from '@statskit/client/testing';
 * expect.extend(statsMatchers);
 * const stats = createTestClient({ prefix: 'app' });
 * stats.incr('hits', 1, { tags: { route: '/a' } });
 * expect(stats).toHaveSentMetric('app.hits', { type: 'c', value: 1, tags: { route: '/a' } });
 * ```
 * @module @statskit/client/testing
 */
import { StatsClient } from '../client.js';
import type { StatsError } from '../errors.js';
import type { ClientOptions } from '../options.js';
import { type ParsedMetric, parseLine, parsePacket } from '../protocol/parse.js';
import { MemoryTransport } from '../transports/memory.js';
import type { MetricType } from '../types.js';

export type { ParsedMetric };
export { MemoryTransport, parseLine, parsePacket };

/** A StatsClient that records what it sends, parsed, and collects onError calls. */
export class TestStatsClient extends StatsClient {
  /** The transport holding every packet. */
  readonly memory: MemoryTransport;
  /** Every error reported to onError. */
  readonly errors: StatsError[];
  readonly #format: NonNullable<ClientOptions['tagFormat']>;

  constructor(options: ClientOptions = {}) {
    const memory = new MemoryTransport();
    const errors: StatsError[] = [];
    const userOnError = options.onError;
    super({
      batching: false,
      // raw by default: each call is one line, visible at once (pass `aggregate` to test aggregation)
      aggregate: false,
      ...options,
      transport: memory,
      onError: (err) => {
        errors.push(err);
        userOnError?.(err);
      },
    });
    this.memory = memory;
    this.errors = errors;
    this.#format =
      options.tagFormat ??
      (options.server === 'etsy' || options.server === 'collectd'
        ? 'graphite'
        : options.server === 'telegraf'
          ? 'telegraf'
          : 'datadog');
  }

  /** Every line sent so far (after flush, when batching is on). */
  get lines(): string[] {
    return this.memory.lines;
  }

  /** Every metric sent so far, parsed. A malformed line (never expected) throws here. */
  get metrics(): ParsedMetric[] {
    // DogStatsD events (`_e{`) and service checks (`_sc|`) are not metrics: they are in `lines` only.
    const lines = this.memory.lines.filter((l) => !l.startsWith('_e{') && !l.startsWith('_sc|'));
    return lines.map((line) => {
      const m = parseLine(line, this.#format);
      if (m === undefined)
        throw new Error(`statskit testing: malformed line on the wire: ${JSON.stringify(line)}`);
      return m;
    });
  }

  /** Forget recorded packets and errors. */
  clear(): void {
    this.memory.clear();
    this.errors.length = 0;
  }
}

/** A client for tests: records metrics in memory, unbatched by default (each call is visible at once). */
export function createTestClient(options: ClientOptions = {}): TestStatsClient {
  return new TestStatsClient(options);
}

/** What a recorded metric must match; omitted fields match anything. Tags match as a subset. */
export interface MetricMatch {
  /** The metric type (`c`, `g`, `ms`, ...). */
  readonly type?: MetricType;
  /** The value; for sets, the member. */
  readonly value?: number | string;
  /** The sample rate sent (`|@rate`). */
  readonly rate?: number;
  /** Tags that must be present (others may be too); a flag tag is `true`. */
  readonly tags?: Readonly<Record<string, string | true>>;
}

/** Does `m` match `name` and `match`? */
export function metricMatches(m: ParsedMetric, name: string, match: MetricMatch = {}): boolean {
  if (m.name !== name) return false;
  if (match.type !== undefined && m.type !== match.type) return false;
  if (match.value !== undefined && m.value !== match.value) return false;
  if (match.rate !== undefined && m.rate !== match.rate) return false;
  if (match.tags !== undefined) {
    for (const [k, v] of Object.entries(match.tags)) if (m.tags[k] !== v) return false;
  }
  return true;
}

/** Recorded metrics named `name` (and matching `match`). */
export function findMetrics(
  source: { metrics: ParsedMetric[] },
  name: string,
  match?: MetricMatch,
): ParsedMetric[] {
  return source.metrics.filter((m) => metricMatches(m, name, match));
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function describeSent(metrics: ParsedMetric[]): string {
  if (metrics.length === 0) return 'nothing was sent';
  const shown = metrics.slice(0, 20).map((m) => `  ${m.raw}`);
  if (metrics.length > 20) shown.push(`  ... and ${metrics.length - 20} more`);
  return `sent:\n${shown.join('\n')}`;
}

function sourceOf(received: unknown): { metrics: ParsedMetric[] } {
  if (received instanceof TestStatsClient) return received;
  if (received instanceof MemoryTransport) {
    return { metrics: received.lines.map((l) => parseLine(l)).filter((m) => m !== undefined) };
  }
  throw new TypeError('statskit matchers expect a TestStatsClient (createTestClient()) or a MemoryTransport');
}

/**
 * Matchers for `expect.extend()` (vitest or jest):
 * `toHaveSentMetric(name, match?)` and `toHaveSentMetricTimes(name, times, match?)`.
 */
export const statsMatchers = {
  /** Passes when `received` (a test client or memory transport) sent `name`, matching `match`. */
  toHaveSentMetric(received: unknown, name: string, match?: MetricMatch): MatcherResult {
    const source = sourceOf(received);
    const pass = findMetrics(source, name, match).length > 0;
    return {
      pass,
      message: () =>
        `expected ${pass ? 'no ' : ''}metric ${name}${match ? ` matching ${JSON.stringify(match)}` : ''}; ${describeSent(source.metrics)}`,
    };
  },
  /** Passes when `received` sent `name` exactly `times` times, matching `match`. */
  toHaveSentMetricTimes(received: unknown, name: string, times: number, match?: MetricMatch): MatcherResult {
    const source = sourceOf(received);
    const found = findMetrics(source, name, match).length;
    return {
      pass: found === times,
      message: () =>
        `expected metric ${name} ${times} times, found ${found}; ${describeSent(source.metrics)}`,
    };
  },
};

/** Types for `expect(...).toHaveSentMetric()`: add `declare module 'vitest' { interface Matchers<T> extends StatsMatchers<T> {} }`. */
export interface StatsMatchers<R = unknown> {
  /** Asserts that the client sent `name`, matching `match`. */
  toHaveSentMetric(name: string, match?: MetricMatch): R;
  /** Asserts that the client sent `name` exactly `times` times, matching `match`. */
  toHaveSentMetricTimes(name: string, times: number, match?: MetricMatch): R;
}
