import type { MetricOptions, Telemetry } from './types.js';

/** What the reporter sends through: a client without prefix, tagged `transport:<kind>`. */
export interface TelemetrySink {
  incr(name: string, value: number, opts?: MetricOptions): void;
  gauge(name: string, value: number, opts?: MetricOptions): void;
}

type Counter = Exclude<keyof Telemetry, 'droppedBy' | 'queueBytes'>;
type Reason = keyof Telemetry['droppedBy'];

/** Telemetry counters and the metric each one is sent as (a `|c` delta per interval). */
const COUNTERS: readonly (readonly [Counter, string])[] = [
  ['metrics', 'statskit.client.metrics'],
  ['sampledOut', 'statskit.client.sampled_out'],
  ['aggregated', 'statskit.client.aggregated'],
  ['packetsSent', 'statskit.client.packets_sent'],
  ['linesSent', 'statskit.client.lines_sent'],
  ['bytesSent', 'statskit.client.bytes_sent'],
  ['packetsDropped', 'statskit.client.packets_dropped'],
  ['bytesDropped', 'statskit.client.bytes_dropped'],
  ['errors', 'statskit.client.errors'],
];

/** Drop reasons as `reason:` tag values of `statskit.client.lines_dropped`. */
const REASONS: readonly (readonly [Reason, { readonly tags: { readonly reason: string } }])[] = [
  ['invalid', { tags: { reason: 'invalid' } }],
  ['tooLarge', { tags: { reason: 'too_large' } }],
  ['closed', { tags: { reason: 'closed' } }],
  ['queueFull', { tags: { reason: 'queue_full' } }],
  ['sendError', { tags: { reason: 'send_error' } }],
  ['dns', { tags: { reason: 'dns' } }],
  ['overflow', { tags: { reason: 'overflow' } }],
];

/**
 * Sends the client's own counters every `interval` ms (`telemetryInterval` option), through the client
 * itself, on an unref'd timer:
 * - `statskit.client.<counter>:<delta>|c` for metrics, sampled_out, aggregated, packets_sent, lines_sent,
 *   bytes_sent, packets_dropped, bytes_dropped, errors — the change since the previous emission;
 * - `statskit.client.lines_dropped:<delta>|c|#reason:<reason>` per drop reason, when it changed;
 * - `statskit.client.queue_bytes:<n>|g`, the bytes waiting in the transport now.
 * The lines it sends are themselves counted in the next emission.
 */
export class TelemetryReporter {
  readonly #sink: TelemetrySink;
  readonly #live: Telemetry;
  readonly #last: Record<string, number> = {};
  readonly #timer: NodeJS.Timeout;

  constructor(sink: TelemetrySink, live: Telemetry, interval: number) {
    this.#sink = sink;
    this.#live = live;
    for (const [key] of COUNTERS) this.#last[key] = 0;
    for (const [reason] of REASONS) this.#last[`dropped.${reason}`] = 0;
    this.#timer = setInterval(() => this.emit(), interval);
    this.#timer.unref();
  }

  /** Send the deltas since the previous emission and the current queue size. */
  emit(): void {
    const live = this.#live;
    const last = this.#last;
    // Read everything first: the lines sent below change the counters.
    const now: Record<string, number> = {};
    for (const [key] of COUNTERS) now[key] = live[key];
    for (const [reason] of REASONS) now[`dropped.${reason}`] = live.droppedBy[reason];
    const queueBytes = live.queueBytes;
    for (const [key, name] of COUNTERS) {
      this.#sink.incr(name, (now[key] as number) - (last[key] as number));
    }
    for (const [reason, opts] of REASONS) {
      const k = `dropped.${reason}`;
      const delta = (now[k] as number) - (last[k] as number);
      if (delta !== 0) this.#sink.incr('statskit.client.lines_dropped', delta, opts);
    }
    this.#sink.gauge('statskit.client.queue_bytes', queueBytes);
    Object.assign(last, now);
  }

  /** Stop the timer after a last emission (so nothing counted since the previous one is lost). */
  stop(): void {
    clearInterval(this.#timer);
    this.emit();
  }
}
