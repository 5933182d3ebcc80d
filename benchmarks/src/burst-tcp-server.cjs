
const net = require('node:net');
let lines = 0, lastAt = 0;
const srv = net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', (d) => { lastAt = performance.now(); for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++; });
});
srv.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: srv.address().port }));
process.on('message', (m) => {
  if (m.type === 'reset') { lines = 0; process.send({ type: 'reset' }); }
  if (m.type === 'totals') {
    const started = performance.now();
    const check = () => performance.now() - Math.max(lastAt, started) >= m.quietMs ? process.send({ type: 'totals', lines }) : setTimeout(check, 10);
    check();
  }
});
process.on('disconnect', () => process.exit(0));
