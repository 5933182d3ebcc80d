#!/usr/bin/env node
/**
 * A cross-check of lib.mjs's figures: server CPU per request (user and system separately) with only one
 * server alive at a time. Each variant of `script` is forked (`--serve`, as lib.mjs does), warmed up 2 s
 * (`--warmup`),
 * loaded 5 s with autocannon (50 connections) while its process.cpuUsage() is read around the run, then
 * killed; the variants take turns, `--rounds` times (default 2). Metrics go to one UDP sink here.
 *
 *   node http/one-at-a-time.mjs http/fastify.mjs bare noop statskit fastify-metrics
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';

const args = process.argv.slice(2);
const at = args.indexOf('--rounds');
const rounds = at === -1 ? 2 : Number(args.splice(at, 2)[1]);
const w = args.indexOf('--warmup');
const warmup = w === -1 ? 2 : Number(args.splice(w, 2)[1]);
const [script, ...variants] = args;
const { default: autocannon } = await import('autocannon');
const sink = dgram.createSocket('udp4');
await new Promise((resolve) => sink.bind(0, '127.0.0.1', resolve));
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const child = fork(script, ['--serve', variant, String(sink.address().port)]);
    const port = await new Promise((resolve) => child.on('message', (m) => m.port && resolve(m.port)));
    const cpu = () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.cpu));
        child.send('cpu');
      });
    const url = `http://127.0.0.1:${port}/hello/world`;
    await autocannon({ url, duration: warmup, connections: 50 });
    const c0 = await cpu();
    const { requests } = await autocannon({ url, duration: 5, connections: 50 });
    const c1 = await cpu();
    const user = (c1.user - c0.user) / requests.total;
    const system = (c1.system - c0.system) / requests.total;
    console.log(
      `round ${round + 1}: ${variant.padEnd(16)} user ${user.toFixed(2)} + system ${system.toFixed(2)} = ` +
        `${(user + system).toFixed(2)} µs/req`,
    );
    child.kill();
  }
}
sink.close();
