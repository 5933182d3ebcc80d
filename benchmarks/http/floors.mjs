/**
 * What the framework scripts' floor variants (benchmarks/README.md, "floor variants") share: request
 * timing on node:http's channels, and the floor-held prototype's recorder: per (template, method, status) slot, durations held as integer µs and statuses counted; once a
 * second (and at beforeExit, the runner's flush) every slot is written as statsd lines — three timers
 * and two counters, the metrics statskit's adapters send by default — from precomputed name bytes, the
 * digits written by hand, into packets of at most 1432 bytes. No client, no call per metric.
 */
import dgram from 'node:dgram';
import dc from 'node:diagnostics_channel';

/**
 * Time every request on node:http's request.start and response.finish channels (the start time on the
 * socket) and call `onEnd(request, response, ms)` when it finishes; without `onEnd` the durations are
 * only summed (floor-channel: the channels' own cost).
 */
export function timeOnChannels(onEnd) {
  const started = Symbol('started');
  let total = 0;
  process.on('beforeExit', () => {
    if (total < 0) console.log(total); // keeps the sum alive
  });
  dc.subscribe('http.server.request.start', ({ socket }) => {
    socket[started] = performance.now();
  });
  dc.subscribe('http.server.response.finish', ({ request, response, socket }) => {
    const ms = performance.now() - socket[started];
    if (onEnd !== undefined) onEnd(request, response, ms);
    else total += ms;
  });
}

/** floor-held's recorder: returns `record(template, method, status, ms)`. */
export function heldSlots(statsdPort) {
  const socket = dgram.createSocket('udp4');
  const slots = [];
  let lastTemplate = '';
  let lastMethod = '';
  let lastStatus = 0;
  let last;
  const packet = Buffer.allocUnsafe(1432);
  let used = 0;
  const send = () => {
    if (used > 0) socket.send(Buffer.from(packet.subarray(0, used)), statsdPort, '127.0.0.1');
    used = 0;
  };
  const line = (name, micros, type) => {
    // name:<int>[.fff]|type\n — µs as ms with up to three decimals
    const need = name.length + 1 + 20 + type.length + 1;
    if (used + need > 1432) send();
    used += name.copy(packet, used);
    packet[used++] = 0x3a;
    let int = Math.floor(micros / 1000);
    const frac = micros - int * 1000;
    const start = used;
    do {
      packet[used++] = 0x30 + (int % 10);
      int = Math.floor(int / 10);
    } while (int > 0);
    packet.subarray(start, used).reverse();
    if (frac !== 0) {
      packet[used++] = 0x2e;
      packet[used++] = 0x30 + Math.floor(frac / 100);
      packet[used++] = 0x30 + (Math.floor(frac / 10) % 10);
      packet[used++] = 0x30 + (frac % 10);
    }
    used += type.copy(packet, used);
    packet[used++] = 0x0a;
  };
  const MS = Buffer.from('|ms');
  const C = Buffer.from('|c');
  const flush = () => {
    for (const slot of slots) {
      for (let i = 0; i < slot.n; i++) {
        const v = slot.values[i];
        line(slot.timer, v, MS);
        line(slot.all, v, MS);
        line(slot.method, v, MS);
      }
      slot.n = 0;
      if (slot.count > 0) {
        line(slot.route, slot.count * 1000, C);
        line(slot.status, slot.count * 1000, C);
        slot.count = 0;
      }
    }
    send();
  };
  setInterval(flush, 1000).unref();
  process.on('beforeExit', flush);
  return (template, method, status, ms) => {
    if (template !== lastTemplate || method !== lastMethod || status !== lastStatus || last === undefined) {
      last = slots.find((x) => x.template === template && x.methodName === method && x.code === status);
      if (last === undefined) {
        const base = `bench.http.view.${template.replace(/[^a-zA-Z0-9]+/g, '_')}.${method}`;
        last = {
          template,
          methodName: method,
          code: status,
          timer: Buffer.from(base),
          all: Buffer.from('bench.http.request'),
          method: Buffer.from(`bench.http.request.${method}`),
          route: Buffer.from(`${base}.response.${status}`),
          status: Buffer.from(`bench.http.response.${status}`),
          values: new Float64Array(4096),
          n: 0,
          count: 0,
        };
        slots.push(last);
      }
      lastTemplate = template;
      lastMethod = method;
      lastStatus = status;
    }
    if (last.n === last.values.length) flush();
    last.values[last.n++] = Math.round(ms * 1000);
    last.count++;
  };
}
