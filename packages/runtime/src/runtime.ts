import {
  constants,
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import v8 from 'node:v8';
import { InvalidOptionError } from '@statskit/client';
import {
  Collector,
  type CollectorHandle,
  type CollectorMode,
  type CollectorOptions,
  round,
} from './collector.js';
import { RUNTIME_OPTION_KEYS, reportUnknownKeys } from './option-keys.js';
import type { MetricSink } from './sink.js';

/** Options of {@link collectRuntimeMetrics}. */
export interface RuntimeMetricsOptions extends CollectorOptions {
  /** Sampling resolution of the event-loop delay histogram, in ms. Default 10. */
  readonly resolution?: number | undefined;
}

/** The GC kinds Node reports, by `detail.kind`. */
const GC_KINDS: ReadonlyMap<number, string> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);
const KIND_INDEX: ReadonlyMap<string, number> = new Map([...GC_KINDS.values()].map((k, i) => [k, i]));
const KIND_NAMES = [...GC_KINDS.values()];

/** Every name the runtime collector sends (docs/metrics.md, "Runtime"), relative to its prefix. */
const RUNTIME_NAMES = [
  'eventloop.delay.min',
  'eventloop.delay.mean',
  'eventloop.delay.p50',
  'eventloop.delay.p99',
  'eventloop.delay.max',
  'eventloop.utilization',
  'cpu.user',
  'cpu.system',
  'cpu.total',
  'memory.heap.used',
  'memory.heap.total',
  'memory.heap.limit',
  'memory.rss',
  'memory.external',
  'memory.array_buffers',
  'handles',
  'requests',
  'resources',
  'uptime',
];

/** What a threshold may name: {@link RUNTIME_NAMES} and the GC names of the mode. */
function runtimeCatalogue(mode: CollectorMode): string[] {
  return mode === 'names'
    ? [...RUNTIME_NAMES, ...KIND_NAMES.flatMap((k) => [`gc.${k}.count`, `gc.${k}.pause`])]
    : [...RUNTIME_NAMES, 'gc.count', 'gc.pause'];
}

/** The names and tags of GC metrics, per kind, built once. */
interface GcNames {
  readonly count: string;
  readonly pause: string;
  readonly tags: Readonly<Record<string, string>> | undefined;
}

const NS_PER_MS = 1e6;

type ProcessInternals = NodeJS.Process & {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
};

/** How late the monitor's timer fired, in ms (3 decimals), from a recorded gap and the idle gap, in ns. */
function lateness(gapNs: number, idleNs: number): number {
  return gapNs > idleNs ? round((gapNs - idleNs) / NS_PER_MS, 3) : 0;
}

/**
 * The extreme of the last `span` readings. A client that aggregates sends a gauge's last value per
 * interval: readings taken faster than that would let a later, calmer reading replace a peak. Sending
 * the max (min) of the readings over the last send interval instead keeps the peak whichever reading
 * is the interval's last (it may then show in the next interval too).
 */
class Extremes {
  readonly #last: number[] = [];
  readonly #span: number;
  readonly #pick: (...v: number[]) => number;

  constructor(span: number, pick: (...v: number[]) => number) {
    this.#span = Math.max(1, span);
    this.#pick = pick;
  }

  /** Add a reading; returns the extreme of the last `span` ones. */
  add(v: number): number {
    if (this.#span === 1) return v;
    this.#last.push(v);
    if (this.#last.length > this.#span) this.#last.shift();
    return this.#pick(...this.#last);
  }
}

/** The Node.js runtime collector; see {@link collectRuntimeMetrics}. */
export class RuntimeCollector extends Collector {
  readonly #resolution: number;
  #delay: IntervalHistogram | undefined;
  #elu: EventLoopUtilization | undefined;
  #cpu: NodeJS.CpuUsage | undefined;
  #cpuAt = 0;
  #observer: PerformanceObserver | undefined;
  readonly #gcCount = new Float64Array(KIND_NAMES.length);
  readonly #gcPause = new Float64Array(KIND_NAMES.length);
  readonly #gcNames: readonly GcNames[];
  /** The extremes of the readings within the client's send interval: see {@link Extremes}. */
  readonly #maxes: Extremes;
  readonly #mins: Extremes;

  constructor(stats: MetricSink, options: RuntimeMetricsOptions = {}) {
    super(stats, options, 'runtime', 'collectRuntimeMetrics()', runtimeCatalogue);
    reportUnknownKeys(options, RUNTIME_OPTION_KEYS, 'collectRuntimeMetrics()', this.emit.onError);
    const resolution = options.resolution ?? 10;
    if (typeof resolution !== 'number' || !Number.isInteger(resolution) || resolution < 1) {
      throw new InvalidOptionError(
        'statskit: collectRuntimeMetrics(): `resolution` must be an integer >= 1 (ms)',
      );
    }
    this.#resolution = resolution;
    const span = Math.ceil((stats.sendInterval ?? 0) / this.interval);
    this.#maxes = new Extremes(span, Math.max);
    this.#mins = new Extremes(span, Math.min);
    this.#gcNames = KIND_NAMES.map((kind) =>
      this.mode === 'names'
        ? { count: `gc.${kind}.count`, pause: `gc.${kind}.pause`, tags: undefined }
        : { count: 'gc.count', pause: 'gc.pause', tags: { kind } },
    );
  }

  protected baseline(): void {
    this.#delay = monitorEventLoopDelay({ resolution: this.#resolution });
    this.#delay.enable();
    this.#elu = performance.eventLoopUtilization();
    this.#cpu = process.cpuUsage();
    this.#cpuAt = performance.now();
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as { detail?: unknown }).detail as { kind?: number } | null | undefined;
        const kind = GC_KINDS.get(detail?.kind ?? -1);
        const i = kind === undefined ? undefined : KIND_INDEX.get(kind);
        if (i === undefined) continue;
        this.#gcCount[i] = (this.#gcCount[i] ?? 0) + 1;
        this.#gcPause[i] = (this.#gcPause[i] ?? 0) + e.duration;
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  protected sample(): void {
    if (!this.live) return;
    const emit = this.emit;
    const h = this.#delay;
    if (h !== undefined && h.count > 0) {
      // The monitor records the time between its own timer's callbacks, `resolution` ms apart when the
      // loop is idle: an idle loop would read as `resolution` ms of delay. Only the lateness is sent.
      const idle = this.#resolution * NS_PER_MS;
      const min = lateness(h.min, idle);
      const max = lateness(h.max, idle);
      emit.gauge('eventloop.delay.min', this.#mins.add(min), undefined, min);
      emit.gauge('eventloop.delay.mean', lateness(h.mean, idle));
      emit.gauge('eventloop.delay.p50', lateness(h.percentile(50), idle));
      emit.gauge('eventloop.delay.p99', lateness(h.percentile(99), idle));
      emit.gauge('eventloop.delay.max', this.#maxes.add(max), undefined, max);
    }
    h?.reset();

    const elu = performance.eventLoopUtilization();
    if (this.#elu !== undefined) {
      emit.gauge(
        'eventloop.utilization',
        round(performance.eventLoopUtilization(elu, this.#elu).utilization * 100),
      );
    }
    this.#elu = elu;

    const t = performance.now();
    const cpu = process.cpuUsage();
    const elapsedUs = (t - this.#cpuAt) * 1000;
    if (this.#cpu !== undefined && elapsedUs > 0) {
      const user = ((cpu.user - this.#cpu.user) / elapsedUs) * 100;
      const system = ((cpu.system - this.#cpu.system) / elapsedUs) * 100;
      emit.gauge('cpu.user', round(user));
      emit.gauge('cpu.system', round(system));
      emit.gauge('cpu.total', round(user + system));
    }
    this.#cpu = cpu;
    this.#cpuAt = t;

    for (let i = 0; i < KIND_NAMES.length; i++) {
      const n = this.#gcCount[i] ?? 0;
      if (n === 0) continue;
      const names = this.#gcNames[i] as GcNames;
      emit.count(names.count, n, names.tags);
      emit.count(names.pause, round(this.#gcPause[i] ?? 0, 3), names.tags);
      this.#gcCount[i] = 0;
      this.#gcPause[i] = 0;
    }

    const mem = process.memoryUsage();
    emit.gauge('memory.heap.used', mem.heapUsed);
    emit.gauge('memory.heap.total', mem.heapTotal);
    emit.gauge('memory.heap.limit', v8.getHeapStatistics().heap_size_limit);
    emit.gauge('memory.rss', mem.rss);
    emit.gauge('memory.external', mem.external);
    emit.gauge('memory.array_buffers', mem.arrayBuffers);

    const p = process as ProcessInternals;
    if (typeof p._getActiveHandles === 'function') emit.gauge('handles', p._getActiveHandles().length);
    if (typeof p._getActiveRequests === 'function') emit.gauge('requests', p._getActiveRequests().length);
    if (typeof process.getActiveResourcesInfo === 'function') {
      emit.gauge('resources', process.getActiveResourcesInfo().length);
    }
    emit.gauge('uptime', round(process.uptime(), 1));
  }

  protected override release(): void {
    this.#delay?.disable();
    this.#delay = undefined;
    this.#observer?.disconnect();
    this.#observer = undefined;
  }
}

/**
 * Send the Node.js runtime's gauges every `interval` ms (default 10 000): event-loop delay
 * (min/mean/p50/p99/max, reset each interval) and utilisation, GC count and pause by kind, heap, RSS,
 * external and array-buffer memory, CPU user/system percent of one core, active handles, requests and
 * resources, uptime. Names in docs/metrics.md ("Runtime"). Timers unref'd; stopped by `stop()` or by
 * closing the client.
 * @example
 * ```ts
 * import { collectRuntimeMetrics } from '@statskit/runtime';
 * const runtime = collectRuntimeMetrics(stats, {
 *   interval: 10_000,
 *   thresholds: { 'eventloop.delay.p99': { above: 200, recover: 50, for: 30_000 } },
 *   onThreshold: (e) => logger.warn(e, `event loop ${e.state}`),
 * });
 * ```
 */
export function collectRuntimeMetrics(stats: MetricSink, options?: RuntimeMetricsOptions): CollectorHandle {
  return new RuntimeCollector(stats, options ?? {}).start();
}
