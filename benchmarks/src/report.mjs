/**
 * Regenerate docs/benchmarks.md.
 *
 *   node src/report.mjs [run options]         run the benchmark (same options as run.mjs) and write the docs
 *   node src/report.mjs --from results.jsonl  write the docs from a saved run (`run.mjs --save results.jsonl`)
 *                       [--command "…"]       the command line to quote, when the rows came from several runs
 */
import { readFileSync } from 'node:fs';
import { writeDocs } from './lib/docs.mjs';
import { main } from './run.mjs';

const argv = process.argv.slice(2);
const from = argv.indexOf('--from');
/** `--command "…"`: how the saved rows were produced, when it was more than one run.mjs command */
const commandArg = argv.indexOf('--command');
if (from !== -1) {
  const file = argv[from + 1];
  if (file === undefined) throw new Error('--from needs a file');
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  const first = rows[0];
  if (first === undefined) throw new Error(`${file} holds no results`);
  const runs = Math.max(...rows.map((r) => r.runs ?? 0));
  await writeDocs(rows, {
    n: first.n,
    runs,
    chunk: first.chunk,
    warmup: first.warmup,
    command:
      commandArg === -1
        ? `node src/run.mjs --n ${first.n} --runs ${runs} --chunk ${first.chunk} --save ${file}`
        : (argv[commandArg + 1] ?? ''),
    date: new Date(first.date),
  });
  process.stderr.write(`wrote docs/benchmarks.md from ${file}\n`);
} else {
  await main([...argv, '--write-docs']);
}
