#!/usr/bin/env node
/**
 * Any per-framework script's servers, measured by lib.mjs's runner with a variant list of your choice
 * (the runner measures one server alive at a time by default; this is for subsets and other orders):
 *
 *   node http/one-at-a-time.mjs http/fastify.mjs bare noop statskit fastify-metrics [--rounds 4] [--markdown]
 *
 * The framework's name and version come from the script's file name (`http/koa.mjs` → koa). Every flag
 * of runHttpBench is passed on (--duration, --warmup, --connections, --rounds, --all-alive,
 * --compare-modes, --markdown, --budget).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { frameworkOf, runHttpBench } from './lib.mjs';

const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith('--'));
const positional = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const [file, ...variants] = positional;
if (!file || variants.length === 0) {
  console.error('usage: one-at-a-time.mjs <script> <variant>... [flags of runHttpBench]');
  process.exit(2);
}
const script = pathToFileURL(resolve(file)).href;
const framework = frameworkOf(script);
let frameworkVersion = '?';
try {
  frameworkVersion = createRequire(script)(`${framework}/package.json`).version;
} catch {
  // a script not named after its framework: the table says '?'
}
await runHttpBench({
  script,
  title: framework[0].toUpperCase() + framework.slice(1),
  frameworkVersion,
  variants,
  argv: flags,
});
