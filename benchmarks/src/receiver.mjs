/**
 * The statsd stand-in, run in its own process (`fork`) so parsing never competes with the client for
 * its event loop. Binds 127.0.0.1 on an ephemeral port with a 4 MiB receive buffer and counts packets,
 * bytes, lines, values and the counter sum (raw, and scaled by 1/rate as statsd would).
 *
 * IPC: sends `{ type: 'ready', port, recvBuffer }`; answers `{ type: 'reset' }` with `{ type: 'reset' }`
 * and `{ type: 'totals', quietMs, maxWaitMs }` with `{ type: 'totals', ... }` once no packet has arrived
 * for `quietMs` (at most `maxWaitMs`). Exits when the parent disconnects.
 */
import dgram from 'node:dgram';
import os from 'node:os';

const RECV_BUFFER = 4 * 1024 * 1024;

// Stand-in for a statsd daemon: it should not lose packets because the machine is busy. A higher
// priority (when allowed) shortens the stalls that fill its buffer; it does the same work for every
// client, so comparisons stay fair.
try {
  os.setPriority(-10);
} catch {
  // not permitted: run at normal priority
}

const zero = () => ({
  packets: 0,
  bytes: 0,
  lines: 0,
  samples: 0,
  counterSum: 0,
  scaledCounterSum: 0,
  lastAt: 0,
});
let totals = zero();

/**
 * A decimal number in `b[from, to)`: sign, digits, optional fraction; anything else (exponents, junk)
 * goes through Number(). Scanning bytes keeps the receiver fast enough for the quickest clients.
 * @param {Buffer} b
 * @param {number} from
 * @param {number} to
 */
function parseNumber(b, from, to) {
  let i = from;
  let sign = 1;
  if (b[i] === 45 /* - */) {
    sign = -1;
    i++;
  } else if (b[i] === 43 /* + */) i++;
  let int = 0;
  let digits = 0;
  for (; i < to; i++) {
    const d = /** @type {number} */ (b[i]) - 48;
    if (d < 0 || d > 9) break;
    int = int * 10 + d;
    digits++;
  }
  let frac = 0;
  let scale = 1;
  if (i < to && b[i] === 46 /* . */) {
    for (i++; i < to; i++) {
      const d = /** @type {number} */ (b[i]) - 48;
      if (d < 0 || d > 9) break;
      frac = frac * 10 + d;
      scale *= 10;
      digits++;
    }
  }
  if (i !== to || digits === 0 || digits > 15) return Number(b.latin1Slice(from, to));
  return sign * (int + frac / scale);
}

/**
 * Count one packet: lines `name:value|type[|@rate][|#tags]`, newline-separated (empty lines ignored,
 * as statsd does), and the values they carry (`samples`: several per multi-value line). Counter values
 * are summed raw and scaled by 1/rate.
 * @param {Buffer} msg
 */
function onMessage(msg) {
  const t = totals;
  t.packets++;
  t.bytes += msg.length;
  t.lastAt = performance.now();
  const n = msg.length;
  let i = 0;
  while (i < n) {
    if (msg[i] === 10) {
      i++; // empty line
      continue;
    }
    t.lines++;
    // the value sits between the last ':' before the first '|' and that '|'; a DogStatsD multi-value
    // line (`name:1:2:3|ms`, protocol 1.1) has one ':' per value
    let colon = -1;
    let pipe = -1;
    for (; i < n; i++) {
      const c = msg[i];
      if (c === 10) break;
      if (c === 58) {
        colon = i;
        t.samples++;
      } else if (c === 124) {
        pipe = i;
        break;
      }
    }
    if (pipe === -1) {
      i++;
      continue;
    }
    const after = pipe + 2;
    const counter = msg[pipe + 1] === 99 /* c */ && (after >= n || msg[after] === 10 || msg[after] === 124);
    let rate = 1;
    let j = pipe + 1;
    for (; j < n; j++) {
      const c = msg[j];
      if (c === 10) break;
      if (c === 124 && msg[j + 1] === 64 /* @ */) {
        let end = j + 2;
        while (end < n && msg[end] !== 124 && msg[end] !== 10) end++;
        rate = parseNumber(msg, j + 2, end);
        j = end - 1;
      }
    }
    if (counter && colon !== -1) {
      const value = parseNumber(msg, colon + 1, pipe);
      t.counterSum += value;
      t.scaledCounterSum += value / rate;
    }
    i = j + 1;
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
