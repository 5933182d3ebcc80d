import dgram from 'node:dgram';

/** Same packet budget as the buffered clients. */
const MAX = 1432;

/**
 * Not a client: the least work any client can do to put these metrics on the wire — concatenate
 * `name:value|type` (no validation, no sanitizing, ASCII assumed, no sampling; per-call tags appended as
 * `|#k:v,…` as they come, so a tagged line has the bytes every DogStatsD client sends), pack the lines
 * into ≤ 1432-byte packets and send them on a connected UDP socket. Its row is the floor under every
 * other row: the per-packet cost (string → Buffer, sendto) that no client can avoid.
 *
 * @type {import('./index.mjs').Adapter}
 */
export default {
  name: 'baseline',
  pkg: '',
  buffered: true,
  aggregated: false,
  tags: 'object',
  sampling: false,
  notes:
    'reference, not a client: string concatenation into ≤ 1432-byte packets (or one packet per call ' +
    'unbuffered) on a connected UDP socket, nothing else; `close()` sends the rest, waits for the send ' +
    'callbacks, closes.',
  create({ host, port, buffered }) {
    const socket = dgram.createSocket('udp4');
    socket.unref();
    let ready = false;
    /** @type {string[]} packets waiting for connect() */
    const early = [];
    let inflight = 0;
    /** @type {(() => void) | undefined} */
    let idle;
    const sent = () => {
      if (--inflight === 0 && idle !== undefined) idle();
    };
    /** @param {string} packet */
    const send = (packet) => {
      if (!ready) {
        early.push(packet);
        return;
      }
      inflight++;
      socket.send(packet, sent);
    };
    socket.connect(port, host, () => {
      ready = true;
      for (const p of early.splice(0)) send(p);
    });
    let buf = '';
    /** @param {string} line */
    const push = buffered
      ? (line) => {
          if (buf === '') buf = line;
          else if (buf.length + 1 + line.length > MAX) {
            send(buf);
            buf = line;
          } else buf += `\n${line}`;
        }
      : send;
    return {
      incr(name) {
        push(`${name}:1|c`);
      },
      timing(name, ms, tags) {
        if (tags === undefined) push(`${name}:${ms}|ms`);
        else {
          let t = '';
          for (const k in tags) t += `${t === '' ? '|#' : ','}${k}:${tags[k]}`;
          push(`${name}:${ms}|ms${t}`);
        }
      },
      gauge(name, value) {
        push(`${name}:${value}|g`);
      },
      async close() {
        if (buf !== '') send(buf);
        buf = '';
        while (!ready) await new Promise((r) => setTimeout(r, 1));
        if (inflight > 0) await new Promise((r) => (idle = () => r(undefined)));
        socket.close();
      },
    };
  },
};
