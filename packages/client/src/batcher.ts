import type { Transport } from './types.js';

/** Batchers holding lines, flushed by `beforeExit` so a process that ends on its own loses nothing. */
const dirty = new Set<Batcher>();
let exitHookInstalled = false;

function flushDirty(): void {
  for (const b of dirty) b.flush();
}

/**
 * Joins lines with '\n' into packets of at most `maxBytes` UTF-8 bytes. The size check happens
 * *before* appending (a packet never overshoots), using byte counts the formatter already computed.
 * A partly filled packet waits at most `interval` ms, on an unref'd timer armed only while non-empty.
 */
export class Batcher {
  #buf = '';
  #bytes = 0;
  #lines = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #max: number;
  readonly #interval: number;
  readonly #transport: Transport;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  constructor(maxBytes: number, interval: number, transport: Transport) {
    this.#max = maxBytes;
    this.#interval = interval;
    this.#transport = transport;
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('beforeExit', flushDirty);
    }
  }

  get maxBytes(): number {
    return this.#max;
  }

  /** Append one line (the caller has checked `bytes <= maxBytes`). */
  append(line: string, bytes: number): void {
    if (this.#bytes === 0) {
      this.#start(line, bytes);
    } else if (this.#bytes + 1 + bytes > this.#max) {
      this.flush();
      this.#start(line, bytes);
    } else {
      this.#buf += `\n${line}`;
      this.#bytes += 1 + bytes;
      this.#lines++;
    }
  }

  /** Append lines that must travel in one packet, e.g. `g:0|g` + `g:-5|g`. `bytes` counts the joined form. */
  appendTogether(joined: string, bytes: number, lines: number): void {
    this.append(joined, bytes);
    this.#lines += lines - 1;
  }

  /** Send the current packet, if any. */
  flush(): void {
    if (this.#bytes === 0) return;
    const buf = this.#buf;
    const bytes = this.#bytes;
    const lines = this.#lines;
    this.#buf = '';
    this.#bytes = 0;
    this.#lines = 0;
    dirty.delete(this);
    this.#transport.send(buf, bytes, lines);
  }

  /** Flush and stop the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  #start(line: string, bytes: number): void {
    this.#buf = line;
    this.#bytes = bytes;
    this.#lines = 1;
    dirty.add(this);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#interval);
      this.#timer.unref();
    }
  }
}
