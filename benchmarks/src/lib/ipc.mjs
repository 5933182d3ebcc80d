import { fork } from 'node:child_process';

/**
 * A forked child we talk to by request/reply over IPC, one request at a time.
 */
export class Child {
  /** @type {import('node:child_process').ChildProcess} */
  #proc;
  /** @type {any[]} */
  #inbox = [];
  /** @type {((m: any) => void) | undefined} */
  #waiter;
  /** @type {Error | undefined} */
  #exited;

  /**
   * @param {string | URL} file
   * @param {string[]} [execArgv]
   */
  constructor(file, execArgv = []) {
    this.#proc = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (m) => {
      if (this.#waiter !== undefined) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(m);
      } else this.#inbox.push(m);
    });
    this.#proc.on('exit', (code, signal) => {
      this.#exited = new Error(`${String(file)} exited (${signal ?? code})`);
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.({ type: 'error', message: this.#exited.message });
    });
  }

  /**
   * Wait for the next message (at most `timeoutMs`).
   * @param {number} timeoutMs
   * @returns {Promise<any>}
   */
  next(timeoutMs) {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = (m) => {
        clearTimeout(timer);
        if (m?.type === 'error') reject(new Error(m.message));
        else resolve(m);
      };
    });
  }

  /**
   * Send a request and wait for the reply.
   * @param {object} message
   * @param {number} [timeoutMs]
   */
  async ask(message, timeoutMs = 600_000) {
    this.#proc.send(message);
    return this.next(timeoutMs);
  }

  /** Disconnect (the child exits on 'disconnect') and make sure it is gone. */
  async stop() {
    if (this.#exited) return;
    const gone = new Promise((resolve) => this.#proc.once('exit', resolve));
    if (this.#proc.connected) this.#proc.disconnect();
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
