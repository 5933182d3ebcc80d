import dgram from 'node:dgram';
import net from 'node:net';

/** A port free on 127.0.0.1 for `type` ('udp' or 'tcp') right now: bound, read, released. */
export async function freePort(type) {
  if (type === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
    const { port } = s.address();
    s.close();
    return port;
  }
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
