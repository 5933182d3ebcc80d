/**
 * Regenerate docs/benchmarks.md.
 *
 *   node src/report.mjs [run options]         run the benchmark (same options as run.mjs) and write the docs
 *   node src/report.mjs --from results.jsonl  write the docs from a saved run (`run.mjs --save results.jsonl`)
 *                       [--command "…"]       the command line to quote, when the rows came from several runs
 *                       [--node v20.20.2]     the Node.js of rows saved before rows named it
 *   node src/report.mjs --headline-from node24.jsonl [--command "…"] [--note "…"]
 *                       write (or replace) only the section "Headline rows on Node <major>" from a small
 *                       run under another Node (its rows name it), e.g. with Node 24 first on PATH:
 *                       node src/run.mjs --workloads incr --modes buffered,aggregated --n 200000 --runs 3 --save node24.jsonl
 */
import { readFileSync } from 'node:fs';
import { writeDocs, writeHeadline } from './lib/docs.mjs';
import { main } from './run.mjs';

const argv = process.argv.slice(2);
const from = argv.indexOf('--from');
/** `--command "…"`: how the saved rows were produced, when it was more than one run.mjs command */
const commandArg = argv.indexOf('--command');
const nodeArg = argv.indexOf('--node');
const noteArg = argv.indexOf('--note');
const headlineFrom = argv.indexOf('--headline-from');

/** The rows of a `run.mjs --save` file. */
function load(file) {
  if (file === undefined) throw new Error('--from / --headline-from needs a file');
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  if (rows.length === 0) throw new Error(`${file} holds no results`);
  return rows;
}

if (headlineFrom !== -1) {
  const file = argv[headlineFrom + 1];
  const rows = load(file);
  const first = rows[0];
  const runs = Math.max(...rows.map((r) => r.runs ?? 0));
  writeHeadline(rows, {
    n: first.n,
    runs,
    command:
      commandArg === -1
        ? `node src/run.mjs --workloads incr --n ${first.n} --runs ${runs} --save ${file}`
        : (argv[commandArg + 1] ?? ''),
    date: new Date(first.date),
    ...(noteArg === -1 ? {} : { note: argv[noteArg + 1] ?? '' }),
  });
  process.stderr.write(`wrote the headline section of docs/benchmarks.md from ${file}\n`);
} else if (from !== -1) {
  const file = argv[from + 1];
  const rows = load(file);
  const first = rows[0];
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
    ...(nodeArg === -1 ? {} : { node: argv[nodeArg + 1] ?? '' }),
  });
  process.stderr.write(`wrote docs/benchmarks.md from ${file}\n`);
} else {
  await main([...argv, '--write-docs']);
}
