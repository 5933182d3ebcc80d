// node /tmp/i16/profsrv.mjs <script> <variant>: run the server child with --cpu-prof, load it 6 s.
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
const [script, variant] = process.argv.slice(2);
const sock = dgram.createSocket('udp4'); await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const child = fork(script, ['--serve', variant, String(sock.address().port)], { execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/i16/srvprof'] });
const port = await new Promise((r) => child.on('message', (m) => m.port && r(m.port)));
const { default: autocannon } = await import('autocannon');
await autocannon({ url: `http://127.0.0.1:${port}/hello/world`, duration: 2, connections: 50 });
const res = await autocannon({ url: `http://127.0.0.1:${port}/hello/world`, duration: 6, connections: 50 });
console.log('requests', res.requests.total);
child.disconnect(); sock.close();
await new Promise((r) => child.on('exit', r));
