/**
 * A newline-delimited TCP statsd stand-in for burst.mjs, in its own process: counts lines.
 * IPC: sends `{ type: 'ready', port }`; answers `{ type: 'totals', quietMs }` with `{ type: 'totals',
 * lines }` once no data has arrived for `quietMs`. Exits when the parent disconnects.
 */
import net from 'node:net';

let lines = 0;
let lastAt = 0;
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    lastAt = performance.now();
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: /** @type {net.AddressInfo} */ (server.address()).port });
});
process.on('message', (/** @type {{ type: string; quietMs?: number }} */ m) => {
  if (m.type !== 'totals') return;
  const started = performance.now();
  const check = () => {
    if (performance.now() - Math.max(lastAt, started) >= (m.quietMs ?? 300)) {
      process.send?.({ type: 'totals', lines });
    } else setTimeout(check, 10);
  };
  check();
});
process.on('disconnect', () => process.exit(0));
