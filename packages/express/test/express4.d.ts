// Express 4 is installed under the npm alias `express4`; its API is typed close enough by @types/express.
declare module 'express4' {
  import express = require('express');
  export = express;
}
