import { setImmediate as tick } from 'node:timers/promises';

/**
 * Wait until a dgram socket has handed every queued datagram to the kernel, for clients whose close()
 * is synchronous and would drop what is still in flight. One turn of the loop first, so address lookups
 * started by send() (resolved on nextTick for IP literals) have reached libuv; then poll
 * `getSendQueueCount()` (bounded: at most `maxTurns` turns of the loop).
 * @param {import('node:dgram').Socket | undefined} socket
 * @param {number} [maxTurns]
 */
export async function dgramIdle(socket, maxTurns = 10_000) {
  await tick();
  if (socket === undefined) return;
  for (let i = 0; i < maxTurns; i++) {
    let queued = 0;
    try {
      queued = socket.getSendQueueCount();
    } catch {
      return; // closed or never bound
    }
    if (queued === 0) return;
    await tick();
  }
}
