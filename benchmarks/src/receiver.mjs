/**
 * The statsd stand-in, run in its own process (`fork`) so parsing never competes with the client for
 * its event loop. Binds 127.0.0.1 on an ephemeral port with a 4 MiB receive buffer and counts packets,
 * bytes, lines and the counter sum (raw, and scaled by 1/rate as statsd would).
 *
 * IPC: sends `{ type: 'ready', port, recvBuffer }`; answers `{ type: 'reset' }` with `{ type: 'reset' }`
 * and `{ type: 'totals', quietMs, maxWaitMs }` with `{ type: 'totals', ... }` once no packet has arrived
 * for `quietMs` (at most `maxWaitMs`). Exits when the parent disconnects.
 */
import dgram from 'node:dgram';

const RECV_BUFFER = 4 * 1024 * 1024;

const zero = () => ({ packets: 0, bytes: 0, lines: 0, counterSum: 0, scaledCounterSum: 0, lastAt: 0 });
let totals = zero();

/**
 * Count one packet: lines `name:value|type[|@rate][|#tags]`, newline-separated (empty lines ignored,
 * as statsd does).
 * @param {Buffer} msg
 */
function onMessage(msg) {
  const t = totals;
  t.packets++;
  t.bytes += msg.length;
  t.lastAt = performance.now();
  const s = msg.toString('latin1');
  let start = 0;
  const end = s.length;
  while (start < end) {
    let nl = s.indexOf('\n', start);
    if (nl === -1) nl = end;
    if (nl > start) {
      t.lines++;
      const pipe = s.indexOf('|', start);
      if (pipe !== -1 && pipe < nl && s.charCodeAt(pipe + 1) === 99 /* c */) {
        const next = pipe + 2;
        if (next === nl || s.charCodeAt(next) === 124 /* | */) {
          const colon = s.lastIndexOf(':', pipe);
          const value = Number(s.slice(colon + 1, pipe));
          let rate = 1;
          if (s.charCodeAt(next + 1) === 64 /* @ */) {
            let rEnd = s.indexOf('|', next + 2);
            if (rEnd === -1 || rEnd > nl) rEnd = nl;
            rate = Number(s.slice(next + 2, rEnd));
          }
          t.counterSum += value;
          t.scaledCounterSum += value / rate;
        }
      }
    }
    start = nl + 1;
  }
}

const socket = dgram.createSocket('udp4');
socket.on('message', onMessage);
socket.on('error', (err) => {
  process.send?.({ type: 'error', message: err.message });
});
socket.bind(0, '127.0.0.1', () => {
  socket.setRecvBufferSize(RECV_BUFFER);
  process.send?.({ type: 'ready', port: socket.address().port, recvBuffer: socket.getRecvBufferSize() });
});

/**
 * @param {number} quietMs
 * @param {number} maxWaitMs
 */
function whenQuiet(quietMs, maxWaitMs) {
  const started = performance.now();
  return new Promise((resolve) => {
    const check = () => {
      const now = performance.now();
      if (now - Math.max(totals.lastAt, started) >= quietMs || now - started >= maxWaitMs) resolve(undefined);
      else setTimeout(check, 10);
    };
    check();
  });
}

process.on('message', async (/** @type {{ type: string; quietMs?: number; maxWaitMs?: number }} */ m) => {
  if (m.type === 'reset') {
    totals = zero();
    process.send?.({ type: 'reset' });
  } else if (m.type === 'totals') {
    await whenQuiet(m.quietMs ?? 100, m.maxWaitMs ?? 5000);
    const { lastAt: _, ...rest } = totals;
    process.send?.({ type: 'totals', ...rest });
  }
});
process.on('disconnect', () => {
  socket.close();
  process.exit(0);
});
