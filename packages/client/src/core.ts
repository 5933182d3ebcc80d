import { Aggregator } from './aggregator.js';
import { Batcher } from './batcher.js';
import { GraphiteEvents } from './carbon/events.js';
import { RefuseStatsdLines } from './carbon/refuse.js';
import { CarbonReporter } from './carbon/reporter.js';
import { Encoder } from './encoder.js';
import { coalesceKey, ErrorCoalescer, heldBackSummary } from './error-coalescer.js';
import {
  ClientClosedError,
  callbackError,
  ErrorCodes,
  InvalidMetricError,
  StatsError,
  TransportError,
} from './errors.js';
import { holdValuesUntilExit, releaseValues, unwatchExit, watchExit } from './exit.js';
import type { ResolvedOptions } from './options.js';
import { TagWriter } from './protocol/tags.js';
import { TelemetryReporter, type TelemetrySink } from './telemetry-reporter.js';
import { createTransport } from './transports/create-transport.js';
import { countDrop, createTelemetry, type PacketTransport, type Telemetry } from './types.js';

/** How often the default onError may warn about one error code and metric. */
const WARN_EVERY_MS = 10_000;

/** The default onError, with what it held back. */
export interface WarningReporter {
  (err: StatsError): void;
  /** One warning summarising what was held back and never shown (at close()); nothing if nothing was. */
  summarize(): void;
}

/**
 * The default onError: `process.emitWarning`, at most once per code and metric name every 10 s (so a
 * NaN timing is not hidden behind a string value of the same code on another metric), with a count of
 * the rest; `summarize()` at close() tells what was held back since.
 */
export function warningReporter(): WarningReporter {
  const last = new Map<string, { at: number; suppressed: number }>();
  const warn = ((err: StatsError) => {
    const now = Date.now();
    const key = coalesceKey(err, last.size);
    const seen = last.get(key);
    if (seen !== undefined && now - seen.at < WARN_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    const more =
      seen !== undefined && seen.suppressed > 0 ? ` (+${seen.suppressed} more since the last warning)` : '';
    last.set(key, { at: now, suppressed: 0 });
    process.emitWarning(`${err.message}${more}`, { type: 'StatsKitWarning', code: err.code });
  }) as WarningReporter;
  warn.summarize = () => {
    const held = new Map<string, number>();
    for (const [key, seen] of last) {
      held.set(key, seen.suppressed);
      seen.suppressed = 0;
    }
    const summary = heldBackSummary(held);
    if (summary !== undefined) {
      process.emitWarning(summary, { type: 'StatsKitWarning', code: 'STATSKIT_HELD_BACK' });
    }
  };
  return warn;
}

/**
 * State shared by a client and all its children: options, transport, batcher, telemetry, closed flag.
 * Internal: not exported from the package.
 */
export class Core {
  readonly options: ResolvedOptions;
  readonly telemetry: Telemetry = createTelemetry();
  readonly transport: PacketTransport;
  /** Always present: with `batching: false` it sends every line as a packet of its own. */
  readonly batcher: Batcher;
  /** Writes every statsd line into the batcher's packet. */
  readonly encoder: Encoder;
  /** In-process aggregation of statsd lines: the `aggregate` option. */
  readonly aggregator: Aggregator | undefined;
  /** The direct carbon reporter: the `carbon` option. */
  readonly carbon: CarbonReporter | undefined;
  /** Graphite events (`graphiteWeb` option). */
  readonly events: GraphiteEvents | undefined;
  readonly maxBytes: number;
  readonly random: () => number;
  /** Writes per-call tags: its scratch pieces are shared by this client and its children only. */
  readonly tags = new TagWriter();
  closed = false;
  readonly #userOnError: (err: StatsError) => void;
  readonly #fallback = warningReporter();
  /** The `onErrorInterval` limiter in front of a user's onError, if asked for. */
  readonly #coalescer: ErrorCoalescer | undefined;
  #closing: Promise<void> | undefined;
  #reporter: TelemetryReporter | undefined;
  readonly #flushHooks = new Set<() => void>();
  readonly #closeHooks = new Set<() => void>();

  /** Bound once: handed to the transport and to tag resolution. */
  readonly report = (err: StatsError): void => {
    this.telemetry.errors++;
    if (this.#coalescer === undefined) this.#deliver(err);
    else this.#coalescer.report(err);
  };

  readonly #deliver = (err: StatsError): void => {
    try {
      this.#userOnError(err);
    } catch (thrown) {
      // onError itself threw: never let that reach the app; warn instead.
      this.#fallback(callbackError('onError', thrown));
    }
  };

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.#userOnError = options.onError ?? this.#fallback;
    this.#coalescer =
      options.onError !== undefined && options.onErrorInterval > 0
        ? new ErrorCoalescer(options.onErrorInterval, this.#deliver)
        : undefined;
    this.random = options.random;
    this.maxBytes = options.maxPacketSize;
    const carbon = options.carbon;
    this.transport = createTransport(
      carbon === undefined
        ? options
        : { ...options, host: carbon.host, port: carbon.port, protocol: carbon.protocol },
      { onError: this.report, telemetry: this.telemetry },
    );
    this.batcher = new Batcher(
      options.maxPacketSize,
      options.flushInterval,
      carbon === undefined ? this.transport : new RefuseStatsdLines(this.telemetry, this.report),
      !options.batching,
    );
    this.events =
      options.graphiteWeb === undefined ? undefined : new GraphiteEvents(options.graphiteWeb, this.report);
    const tagsInName = options.tagFormat === 'telegraf' || options.tagFormat === 'graphite';
    this.encoder = new Encoder(
      this.batcher,
      (bytes, lines, name) => this.accept(bytes, lines, name),
      this.tags,
      tagsInName,
    );
    this.carbon =
      carbon === undefined
        ? undefined
        : new CarbonReporter(carbon, {
            send: (packet, bytes, lines) => this.transport.send(packet, bytes, lines),
            telemetry: this.telemetry,
            report: this.report,
          });
    this.aggregator =
      carbon !== undefined || options.aggregate === undefined
        ? undefined
        : new Aggregator(
            options.aggregate,
            this.encoder,
            this.random,
            (name, message) => this.#dropOverflow(name, message),
            options.wire.multiValue,
            options.maxPacketSize,
            (name, message) =>
              this.report(new InvalidMetricError(ErrorCodes.TOO_MANY_MEMBERS, message, name)),
          );
    if (this.aggregator !== undefined || this.carbon !== undefined) holdValuesUntilExit(this);
    watchExit(this);
  }

  /**
   * The process is exiting (only synchronous work is possible) or got a signal: write what is held to
   * the transport (a connected socket sends it at once) and return how many lines could not be sent.
   */
  flushAtExit(write: boolean): number {
    if (write && !this.closed) this.flushBuffers();
    return this.transport.unsentLines?.() ?? 0;
  }

  /** Run `fn` at every flush, at close() and before the process exits; returns its unregistration. */
  addFlushHook(fn: () => void): () => void {
    this.#flushHooks.add(fn);
    if (!this.closed) holdValuesUntilExit(this);
    return () => {
      this.#flushHooks.delete(fn);
    };
  }

  /**
   * Run `fn` once, at the start of close() (after the flush hooks, while metric calls are still
   * accepted); at once if the client is already closed. Returns its unregistration.
   */
  addCloseHook(fn: () => void): () => void {
    if (this.closed) {
      this.#runHook(fn, 'a close hook');
      return () => {};
    }
    this.#closeHooks.add(fn);
    return () => {
      this.#closeHooks.delete(fn);
    };
  }

  #runHook(fn: () => void, where: string): void {
    try {
      fn();
    } catch (err) {
      this.report(callbackError(where, err));
    }
  }

  /** Write everything held in process to the transport, synchronously: hooks, aggregates, the packet. */
  flushBuffers(): void {
    this.#runFlushHooks();
    this.aggregator?.flush();
    this.carbon?.flush();
    this.batcher.flush();
  }

  #runFlushHooks(): void {
    for (const fn of this.#flushHooks) {
      try {
        fn();
      } catch (err) {
        this.report(callbackError('a flush hook', err));
      }
    }
  }

  /** Hand one formatted line (or lines that must share a packet) to the batcher. */
  write(line: string, bytes: number, lines: number, name: string): void {
    if (this.accept(bytes, lines, name)) this.batcher.append(line, bytes, lines);
  }

  /**
   * Count a line of `bytes` about to be written, or drop it (counted, reported) when it can never fit
   * in a packet. The caller writes it to the batcher when this returns true.
   */
  accept(bytes: number, lines: number, name: string): boolean {
    if (bytes > this.maxBytes) {
      countDrop(this.telemetry, 'tooLarge', bytes, lines);
      this.telemetry.metrics += lines; // a line the client was given: linesSent + linesDropped === metrics
      this.report(
        new InvalidMetricError(
          ErrorCodes.LINE_TOO_LARGE,
          `statskit: metric ${name} is ${bytes} bytes, over maxPacketSize ${this.maxBytes}; dropped`,
          name,
        ),
      );
      return false;
    }
    this.telemetry.metrics += lines;
    return true;
  }

  /**
   * Report `err` (a construction warning, such as an unknown option) once the constructor has returned,
   * so an onError that uses the new client finds it assigned. Nothing when `err` is undefined.
   */
  reportSoon(err: StatsError | undefined): void {
    if (err !== undefined) queueMicrotask(() => this.report(err));
  }

  /** Send `statskit.client.*` every `telemetryInterval` ms through `sink`, until close(). */
  startTelemetry(sink: TelemetrySink): void {
    this.#reporter ??= new TelemetryReporter(sink, this.telemetry, this.options.telemetryInterval);
  }

  /** A metric after close(): `what` is already described (never the caller's raw value). */
  dropClosed(what: string): void {
    this.telemetry.droppedBy.closed++;
    this.telemetry.linesDropped++;
    this.telemetry.metrics++;
    this.report(new ClientClosedError(`metric ${what}`));
  }

  /** An aggregate that overflowed to ±Infinity: one line not sent, counted and reported. */
  #dropOverflow(name: string, message: string): void {
    this.telemetry.droppedBy.overflow++;
    this.telemetry.linesDropped++;
    this.telemetry.metrics++;
    this.report(new InvalidMetricError(ErrorCodes.OVERFLOW, message, name));
  }

  dropInvalid(err: InvalidMetricError): void {
    this.telemetry.droppedBy.invalid++;
    this.telemetry.linesDropped++;
    this.telemetry.metrics++;
    this.report(err);
  }

  /**
   * Everything buffered onto the transport. After close() a no-op: it resolves when close() has finished
   * (close() flushed everything there was).
   */
  async flush(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.flushBuffers();
    await this.#guard(() => this.transport.flush(), 'transport.flush()');
  }

  /**
   * Flush, then release the transport and timers. Idempotent: a later call (Fastify's onClose and the
   * app's own shutdown handler, a child and its parent) returns the first call's promise, so it resolves
   * only when that close has finished, and reports nothing.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#reporter?.stop(); // a last emission, before the batcher's final flush
    this.#runFlushHooks(); // while metric calls are still accepted
    for (const fn of this.#closeHooks) this.#runHook(fn, 'a close hook');
    this.#closeHooks.clear();
    this.closed = true;
    releaseValues(this);
    this.aggregator?.flush();
    this.aggregator?.stop();
    this.carbon?.flush();
    this.carbon?.stop();
    this.batcher.stop();
    this.#closing = this.#closeAll();
    return this.#closing;
  }

  /** The transport, and the Graphite events still pending (each bounded by its own timeout). */
  async #closeAll(): Promise<void> {
    const events = this.events;
    await Promise.all([
      this.#closeTransport(),
      events === undefined ? undefined : this.#guard(() => events.close(), 'graphiteWeb close'),
    ]);
    unwatchExit(this);
    this.#coalescer?.flush(); // what onError has not heard about yet, before close() resolves
    this.#fallback.summarize(); // what the default handler held back, in one warning
  }

  async #closeTransport(): Promise<void> {
    const timeout = this.options.closeTimeout;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, timeout, 'timeout');
      timer.unref();
    });
    const done = this.#guard(() => this.transport.close(), 'transport.close()').then(() => 'done' as const);
    const result = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const pending = this.telemetry.queueBytes;
      this.transport.abort?.();
      this.report(
        new TransportError(
          ErrorCodes.CLOSE_TIMEOUT,
          `statskit: close() waited ${timeout} ms for the transport; ${pending} queued bytes were dropped`,
        ),
      );
    }
  }

  async #guard(fn: () => Promise<void>, where: string): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.report(StatsError.is(err) ? err : callbackError(where, err));
    }
  }
}
