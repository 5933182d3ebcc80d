// Preloaded (`node --require`) into the etsy statsd daemon (npm `statsd` 0.9) by ./statsd-daemon.mjs.
// The daemon logs with `util.log`, which Node 23 removed: on Node 24 and 26 it died at start with
// "TypeError: util.log is not a function". This defines `util.log` only where it is missing, printing
// what Node's own did: `5 Dec 14:22:01 - message` on stdout. Up to Node 22 the built-in one is used.
'use strict';
const util = require('node:util');

if (typeof util.log !== 'function') {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n) => (n < 10 ? `0${n}` : String(n));
  util.log = function log(...args) {
    const d = new Date();
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    process.stdout.write(`${d.getDate()} ${MONTHS[d.getMonth()]} ${time} - ${util.format(...args)}\n`);
  };
}
