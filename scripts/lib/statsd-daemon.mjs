// The one way this repository starts the etsy statsd daemon (npm `statsd` 0.9) or its cluster proxy:
// tests (packages/client/test/helpers), `npm run demo` and the Graphite demo all spawn it from here.
// It runs under the running Node (`process.execPath`) with ./statsd-util-log.cjs preloaded, which
// supplies `util.log` on Node 23 and later (removed there; the daemon logs with it).
//
//   node scripts/lib/statsd-daemon.mjs config.js [proxy]   (the daemon, or its proxy, in the foreground)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The preload that defines `util.log` where Node lacks it. */
export const UTIL_LOG_SHIM = fileURLToPath(new URL('./statsd-util-log.cjs', import.meta.url));
/** The daemon's and the proxy's main scripts. */
export const STATSD_MAIN = fileURLToPath(new URL('../../node_modules/statsd/stats.js', import.meta.url));
export const STATSD_PROXY = fileURLToPath(new URL('../../node_modules/statsd/proxy.js', import.meta.url));

/** Write `config` where the daemon reads it: it eval()s the file, so a parenthesised object literal. */
export function writeStatsdConfig(file, config) {
  writeFileSync(file, `(${JSON.stringify(config)})\n`);
  return file;
}

/**
 * The argv (after the node binary) that runs `script` (default the daemon) with `configFile`. Node 22's
 * own util.log prints a deprecation warning (DEP0059) on first use: silenced, that one only.
 */
export function statsdArgs(configFile, script = STATSD_MAIN) {
  return ['--require', UTIL_LOG_SHIM, '--disable-warning=DEP0059', script, configFile];
}

/**
 * Spawn the daemon (or, with `script: STATSD_PROXY`, the proxy) on `configFile` under the running
 * Node. `options` go to `child_process.spawn` (default: stdin ignored, stdout and stderr piped).
 */
export function spawnStatsd(configFile, { script = STATSD_MAIN, ...options } = {}) {
  return spawn(process.execPath, statsdArgs(configFile, script), {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = process.argv[2];
  if (config === undefined) {
    console.error('usage: node scripts/lib/statsd-daemon.mjs <config.js> [proxy]');
    process.exit(2);
  }
  const script = process.argv[3] === 'proxy' ? STATSD_PROXY : STATSD_MAIN;
  const child = spawnStatsd(config, { script, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));
}
