// Run after tsup (`npm run build`). CommonJS: `require('@statskit/fastify')` is the plugin itself, with
// the named exports (`statskit`, `default`, `CLIENT_CLOSED_REQUEST`) as its properties — the fastify
// plugin convention — so `fastify.register(require('@statskit/fastify'))` and TypeScript's
// `import statskit = require('@statskit/fastify')` register it. dist/index.cjs gets the assignment,
// dist/index.d.cts the matching `export =` with the named exports merged in as a namespace.
// Fails the build when tsup's output does not have the shape these rewrites expect.
import { readFileSync, writeFileSync } from 'node:fs';

function fail(message) {
  console.error(`cjs-entry: ${message}`);
  process.exit(1);
}

const js = new URL('../dist/index.cjs', import.meta.url);
const dts = new URL('../dist/index.d.cts', import.meta.url);
const MARK = '// statskit: the module is the plugin';

let code = readFileSync(js, 'utf8');
if (!code.includes(MARK)) {
  if (!/\nexports\.statskit = statskit;\n/.test(code)) fail('dist/index.cjs does not export `statskit`');
  const map = code.lastIndexOf('\n//# sourceMappingURL=');
  const at = map === -1 ? code.length : map + 1;
  code = `${code.slice(0, at)}${MARK}\nmodule.exports = Object.assign(exports.statskit, exports);\n${code.slice(at)}`;
  writeFileSync(js, code);
}

const text = readFileSync(dts, 'utf8');
if (!text.includes('\nexport = statskit;')) {
  const last = /\nexport \{ ([^}]*) \};\s*$/.exec(text);
  if (
    last === null ||
    !/\ndeclare function statskit\(/.test(text) ||
    !/\bstatskit as default\b/.test(last[1])
  ) {
    fail('dist/index.d.cts does not end with the expected `export { ... }`');
  }
  // `export { A } from 'm'` cannot stand beside `export =`: import under a private name, export in the namespace.
  const names = [last[1]];
  const body = text
    .slice(0, last.index)
    .replace(/^export \{ ([^}]*) \} from ('[^']+');$/gm, (_all, list, from) => {
      const parts = list.split(',').map((n) => n.trim().replace(/^type /, ''));
      for (const n of parts) names.push(`statskit_reexport_${n} as ${n}`);
      return `import { ${parts.map((n) => `${n} as statskit_reexport_${n}`).join(', ')} } from ${from};`;
    });
  if (/^export /m.test(body)) fail('dist/index.d.cts has an export this rewrite does not handle');
  writeFileSync(
    dts,
    `${body}
/** The CommonJS module is the plugin, with the named exports as its properties. */
declare namespace statskit {
    export { ${names.join(', ')} };
}
export = statskit;
`,
  );
}
