import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** The preload that defines `util.log` where Node lacks it (Node 23 and later). */
export const UTIL_LOG_SHIM: string;
/** node_modules/statsd/stats.js: the etsy statsd daemon. */
export const STATSD_MAIN: string;
/** node_modules/statsd/proxy.js: its cluster proxy. */
export const STATSD_PROXY: string;
/** Write `config` as the file the daemon eval()s; returns `file`. */
export function writeStatsdConfig(file: string, config: object): string;
/** The argv (after the node binary) that runs `script` (default the daemon) with `configFile`. */
export function statsdArgs(configFile: string, script?: string): string[];
/** Spawn the daemon (or the proxy, `script: STATSD_PROXY`) under the running Node, util.log supplied. */
export function spawnStatsd(configFile: string, options?: SpawnOptions & { script?: string }): ChildProcess;
