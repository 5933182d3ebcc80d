import { constants } from 'node:os';
import { InvalidOptionError } from '@statskit/client';

/** Marks the client's own signal listener (`@statskit/client`'s exit.ts): not an app listener. */
const OWN_SIGNAL_LISTENER = Symbol.for('statskit.exit-listener');

/**
 * What {@link closeOnSignal} stops accepting requests on: a `node:http`/`node:https` server (what
 * `app.listen()` returns in Express and Koa) or a Fastify instance (its `close()` runs the `onClose`
 * hooks, which send the plugin's pending counters).
 */
export interface ClosableServer {
  /** Stop accepting connections; the callback runs once the in-flight requests are done. */
  close(callback: (err?: Error) => void): unknown;
  /** node:http: close the keep-alive connections that have no request in flight. */
  closeIdleConnections?(): void;
  /** node:http: close every connection (used when `timeout` runs out). */
  closeAllConnections?(): void;
  /** Fastify: its node:http server, whose idle connections are closed the same way. */
  readonly server?: Pick<ClosableServer, 'closeIdleConnections' | 'closeAllConnections'> | undefined;
}

/** What is closed once the server is: a `StatsClient`, or the middleware (its `close()`). */
export interface ClosableStats {
  /** Flush and release the client. */
  close(): Promise<void>;
}

/** Options of {@link closeOnSignal}. */
export interface CloseOnSignalOptions {
  /** The signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[] | undefined;
  /**
   * How long in-flight requests get to finish, in ms (default 10 000). Then the remaining connections
   * are closed and the shutdown goes on.
   */
  readonly timeout?: number | undefined;
  /**
   * `true` (default): once the metrics are closed, the process ends the way the signal would have ended
   * it (the signal is raised again; if something else listens to it, `process.exit(128 + number)`).
   * `false`: nothing more happens (for tests, or when something else exits).
   */
  readonly exit?: boolean | undefined;
  /** Errors from closing the server or the metrics. Default: `process.emitWarning`. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** The handle {@link closeOnSignal} returns. */
export interface SignalShutdown {
  /** Run the shutdown now, as a signal would (without exiting). Resolves when the metrics are closed. */
  close(): Promise<void>;
  /** Remove the signal listeners. */
  remove(): void;
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
/** While waiting for in-flight requests: how often connections that became idle are closed. */
const IDLE_SWEEP_MS = 100;

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: closeOnSignal: ${message}`);
}

function warn(err: unknown): void {
  process.emitWarning(`statskit: closeOnSignal: ${String(err)}`, { type: 'StatsKitWarning' });
}

/** Stop accepting, let in-flight requests finish for up to `timeout` ms, then close what is left. */
function closeServer(server: ClosableServer, timeout: number, report: (err: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    let sweep: ReturnType<typeof setInterval> | undefined;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (sweep !== undefined) clearInterval(sweep);
      if (err && (err as { code?: unknown }).code !== 'ERR_SERVER_NOT_RUNNING') report(err);
      resolve();
    };
    const own =
      typeof server.closeIdleConnections === 'function' || typeof server.closeAllConnections === 'function';
    const http = own ? server : server.server;
    const timer = setTimeout(() => {
      if (typeof http?.closeAllConnections === 'function') http.closeAllConnections();
      finish();
    }, timeout);
    timer.unref();
    try {
      server.close(finish);
    } catch (err) {
      finish(err as Error);
      return;
    }
    // A keep-alive connection stays open after its last response: close each as it becomes idle.
    if (typeof http?.closeIdleConnections === 'function') {
      http.closeIdleConnections();
      sweep = setInterval(() => http.closeIdleConnections?.(), IDLE_SWEEP_MS);
      sweep.unref();
    }
  });
}

/**
 * Graceful shutdown for a server measured by statskit. On the first of `signals`: stop accepting
 * connections, let in-flight requests finish (up to `timeout`), then `await stats.close()` (pending
 * counters and buffered lines are on the wire when it resolves), then end the process as the signal
 * would have. A second signal during the shutdown ends the process at once (Node's default).
 *
 * Do not use `process.on('SIGTERM', () => void stats.close())`: a listener replaces Node's default exit,
 * so the server keeps running with a closed client and every later metric is dropped.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { closeOnSignal, statsdMiddleware } from '@statskit/express';
 * const metrics = statsdMiddleware({ client: stats });
 * app.use(metrics);
 * const server = app.listen(3000);
 * closeOnSignal(server, metrics); // or (server, stats); Fastify: closeOnSignal(app)
 * ```
 */
export function closeOnSignal(
  server: ClosableServer,
  stats?: ClosableStats,
  options: CloseOnSignalOptions = {},
): SignalShutdown {
  if (typeof server !== 'object' || server === null || typeof server.close !== 'function') {
    fail('`server` must have a close() method (a node:http server or a Fastify instance)');
  }
  if (stats !== undefined && (stats === null || typeof stats.close !== 'function')) {
    fail('`stats` must have a close() method (a StatsClient or the middleware)');
  }
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const signals = options.signals ?? DEFAULT_SIGNALS;
  if (!Array.isArray(signals) || signals.length === 0 || signals.some((s) => typeof s !== 'string')) {
    fail('`signals` must be a non-empty array of signal names');
  }
  const timeout = options.timeout ?? 10_000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > 2_147_483_647) {
    fail(`\`timeout\` must be a number of ms >= 0, got ${String(timeout)}`);
  }
  const exit = options.exit ?? true;
  if (typeof exit !== 'boolean') fail('`exit` must be a boolean');
  const onError = options.onError ?? warn;
  if (typeof onError !== 'function') fail('`onError` must be a function');
  const report = (err: unknown): void => {
    try {
      onError(err);
    } catch {
      // the shutdown goes on
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await closeServer(server, timeout, report);
      if (stats !== undefined) {
        try {
          await stats.close();
        } catch (err) {
          report(err);
        }
      }
    })();
    return closing;
  };

  const remove = (): void => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };

  function onSignal(signal: NodeJS.Signals): void {
    remove(); // a second signal gets Node's default: the process ends at once
    void close().then(() => {
      if (!exit) return;
      // statskit's own listener (it sends what is pending, then re-raises) is not the app's
      const others = process.listeners(signal).filter((l) => !(OWN_SIGNAL_LISTENER in l)).length;
      if (others === 0) process.kill(process.pid, signal);
      else process.exit(128 + (constants.signals[signal] ?? 0));
    });
  }

  for (const signal of signals) process.on(signal, onSignal);
  return { close, remove };
}
