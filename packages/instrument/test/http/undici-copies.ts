/**
 * The two undici copies a Node 20 process can hold: the one bundled in Node (behind the built-in
 * `fetch`) and the npm package (undici 7). Both read the global dispatcher from one global slot, and
 * whichever loads first fills it — so the bundled copy is loaded here first, so that the built-in
 * `fetch` of these tests really runs on Node's own undici, not on an npm undici Agent.
 */
import type * as Undici from 'undici';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

export interface UndiciCopies {
  /** The bundled copy's global Agent (what `fetch()` without `dispatcher` uses). */
  readonly bundled: object;
  /** The npm package. */
  readonly npm: typeof Undici;
  /** An Agent of the npm package, for its `fetch` and `request`. */
  readonly npmAgent: Undici.Agent;
}

export async function undiciCopies(): Promise<UndiciCopies> {
  // any call loads Node's bundled undici, which installs its Agent if the slot is empty (port 1 is
  // refused by fetch itself, before any connection)
  await fetch('http://127.0.0.1:1/').catch(() => undefined);
  const bundled = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER];
  const npm = await import('undici');
  if (typeof bundled !== 'object' || bundled === null || bundled instanceof npm.Agent) {
    throw new Error('the global dispatcher is not the bundled undici Agent (npm undici loaded first?)');
  }
  return { bundled, npm, npmAgent: new npm.Agent() };
}
