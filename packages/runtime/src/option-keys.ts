import { unknownOptionKeys } from '@statskit/client';
import type { CollectorOptions } from './collector.js';
import type { HostMetricsOptions } from './host.js';
import type { PollOptions } from './poll.js';
import type { RuntimeMetricsOptions } from './runtime.js';
import { type ErrorHandler, safeReport } from './sink.js';

/*
 * The keys each options object of this package takes (a `Record` over the type's keys, so adding an
 * option without listing it here does not compile). Anything else is reported as unknown, with the
 * closest known key, as the client reports its own options.
 */

const COLLECTOR_KEYS = {
  interval: true,
  prefix: true,
  mode: true,
  thresholds: true,
  onThreshold: true,
  onError: true,
} satisfies Record<keyof CollectorOptions, true>;

/** `collectRuntimeMetrics()` options. */
export const RUNTIME_OPTION_KEYS: readonly string[] = Object.keys({
  ...COLLECTOR_KEYS,
  resolution: true,
} satisfies Record<keyof RuntimeMetricsOptions, true>);

/** `collectHostMetrics()` options. */
export const HOST_OPTION_KEYS: readonly string[] = Object.keys({
  ...COLLECTOR_KEYS,
  mounts: true,
  disks: true,
  interfaces: true,
} satisfies Record<keyof HostMetricsOptions, true>);

/** `poll()` options. */
export const POLL_OPTION_KEYS: readonly string[] = Object.keys({
  interval: true,
  timeout: true,
  tags: true,
  immediate: true,
  thresholds: true,
  onThreshold: true,
  onError: true,
} satisfies Record<keyof PollOptions, true>);

/**
 * Report the keys of `options` that are not in `known` (a typo such as `intervall`) once to `onError`
 * as `STATSKIT_ERR_UNKNOWN_OPTION`, after the constructor has returned (as the client does).
 */
export function reportUnknownKeys(
  options: object,
  known: readonly string[],
  what: string,
  onError: ErrorHandler,
): void {
  const err = unknownOptionKeys(options, known, `${what} option`);
  if (err !== undefined) queueMicrotask(() => safeReport(onError, err));
}
