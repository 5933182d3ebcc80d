/**
 * One adapter per statsd client, all with the same shape, so the runner drives every client the same
 * way.
 *
 * @typedef {object} AdapterInfo
 * @property {string} name        display name
 * @property {string} pkg         npm package name (its version is read from its package.json); '' for none
 * @property {boolean} buffered   can pack several lines into one packet
 * @property {boolean} aggregated  can aggregate in-process (counters summed, gauges folded) before sending
 * @property {'object' | 'array' | null} tags  per-call tag form the client takes natively; null: no per-call tags
 * @property {boolean} sampling   does client-side sampling (drops calls, adds `|@rate`)
 * @property {string} notes       what the adapter does about buffering and close, for the report
 *
 * @typedef {object} ClientHandle
 * @property {(name: string, rate?: number) => void} incr
 * @property {(name: string, ms: number, tags?: unknown) => void} timing   tags in the adapter's `tags` form
 * @property {(name: string, value: number) => void} gauge
 * @property {() => Promise<void>} close   resolves once everything is handed to the OS and the socket is closed
 *
 * @typedef {{ host: string; port: number; buffered: boolean; aggregated: boolean }} CreateOptions
 *   `aggregated` comes with `buffered`
 * @typedef {AdapterInfo & { create: (opts: CreateOptions) => ClientHandle }} Adapter
 */

/**
 * Order of the table; statskit first (ratios are relative to it; its default options, no server named),
 * statskit with a named server (`server: 'dogstatsd'`), then the peers, then `baseline`, a reference that
 * shows the per-packet floor (not a client).
 */
export const ADAPTERS = [
  'statskit',
  'statskit-dogstatsd',
  'hot-shots',
  'dats',
  'statsd-client',
  'node-statsd',
  'lynx',
  'baseline',
];

/**
 * @param {string} name
 * @returns {Promise<Adapter>}
 */
export async function loadAdapter(name) {
  if (!ADAPTERS.includes(name)) throw new Error(`unknown client ${name}; known: ${ADAPTERS.join(', ')}`);
  return (await import(`./${name}.mjs`)).default;
}
