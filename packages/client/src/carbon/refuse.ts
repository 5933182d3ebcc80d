import { ErrorCodes, InvalidMetricError, type StatsError } from '../errors.js';
import { countDrop, type PacketTransport, type Telemetry } from '../types.js';

/**
 * The statsd-line path of a client in carbon mode: carbon cannot read statsd lines, so what would take
 * it (DogStatsD events and service checks, metrics with a DogStatsD `timestamp`) is dropped, counted as
 * invalid and reported.
 */
export class RefuseStatsdLines implements PacketTransport {
  readonly #telemetry: Telemetry;
  readonly #report: (err: StatsError) => void;

  constructor(telemetry: Telemetry, report: (err: StatsError) => void) {
    this.#telemetry = telemetry;
    this.#report = report;
  }

  send(packet: Buffer, bytes: number, lines: number): void {
    countDrop(this.#telemetry, 'invalid', bytes, lines);
    const first = packet.toString('utf8', 0, Math.min(bytes, 80)).split('\n')[0];
    this.#report(
      new InvalidMetricError(
        ErrorCodes.INVALID_VALUE,
        `statskit: the carbon backend cannot send statsd lines (DogStatsD events, checks, timestamps): ${first} dropped`,
        first,
      ),
    );
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
