/** Shared bits of the transport fault tests. */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ClientOptions, StatsClient, type StatsError } from '@statskit/client';
import { afterEach, beforeEach, expect } from 'vitest';

export interface TestClient {
  readonly stats: StatsClient;
  readonly errors: StatsError[];
  codes(): string[];
}

/** A client with its onError calls collected. */
export function client(options: ClientOptions): TestClient {
  const errors: StatsError[] = [];
  // raw lines, one per call, as the transport tests count them (pass `aggregate` to test aggregation)
  const stats = new StatsClient({ aggregate: false, ...options, onError: (err) => errors.push(err) });
  return { stats, errors, codes: () => errors.map((e) => e.code) };
}

/**
 * Fail the test on any uncaught exception or unhandled rejection while it runs (vitest would report
 * them too, but attributed to no test). Call at the top of a describe block.
 */
export function noUnhandledErrors(): void {
  const seen: unknown[] = [];
  const onError = (err: unknown): void => {
    seen.push(err);
  };
  beforeEach(() => {
    seen.length = 0;
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
  });
  afterEach(() => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    expect(seen).toEqual([]);
  });
}

/** Lines accepted = lines written + lines dropped, once nothing is in flight. */
export function expectAccounted(stats: StatsClient): void {
  const t = stats.telemetry();
  expect(t.linesSent + t.linesDropped).toBe(t.metrics);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Let timers and I/O callbacks run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let gcFn: (() => void) | undefined;
/** A full GC, via --expose-gc turned on at runtime. */
export function gc(): void {
  if (gcFn === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}
