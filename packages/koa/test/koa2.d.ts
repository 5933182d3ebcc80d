// Koa 2 is installed under the npm alias `koa2`; its API is typed close enough by @types/koa.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
