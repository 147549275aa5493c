/**
 * `npm run bench -- <name> [args]` runs one benchmark (bench/src/<name>.ts, built to dist);
 * `npm run bench -- all [names]` runs every benchmark (or those named) that exports `summary()` and prints one table of
 * their figures beside baselines and goals; `npm run bench` lists them. Benchmarks print tables of
 * figures; they are not tests and assert nothing: read them side by side with their baseline rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printSummary, type SummaryRow } from './table';

interface Benchmark {
  readonly description: string;
  run(args: readonly string[]): Promise<void>;
  /** Runs the benchmark with its defaults and returns its figures for the `all` table. */
  summary?(): Promise<SummaryRow[]>;
}

function available(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter(
      (file) => file.endsWith('.js') && !['run.js', 'table.js'].includes(file) && !file.startsWith('lib-'),
    )
    .map((file) => file.replace(/\.js$/, ''))
    .sort();
}

function load(name: string): Benchmark {
  // Benchmarks are found at run time, by file name.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, name)) as Benchmark;
}

function header(what: string): void {
  console.log(`# ${what}`);
  console.log(`# node ${process.version}, ${os.cpus().length} cpus, ${new Date().toISOString()}\n`);
}

/** Every benchmark's summary, one after the other (never two at once: they would share the CPUs). */
async function all(names: readonly string[]): Promise<void> {
  header('all: every benchmark figure beside its baseline and goal');
  const rows: SummaryRow[] = [];
  for (const name of names) {
    const bench = load(name);
    if (!bench.summary) continue;
    const started = performance.now();
    process.stderr.write(`${name}: running… `);
    try {
      const got = await bench.summary();
      rows.push(...got);
      process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    } catch (error) {
      process.stderr.write('failed\n');
      console.error(error);
      rows.push({ measure: name, figure: 'failed', baseline: '', ratio: '', goal: '', met: false });
    }
  }
  printSummary(rows);
  const missed = rows.filter((row) => !row.met).length;
  console.log(missed === 0 ? 'Every goal met.' : `${missed} of ${rows.length} goals not met.`);
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = available();
  if (name === 'all') {
    // `all a b`: those benchmarks' rows only (a re-run of the figures near their goal, say).
    const unknown = args.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}`);
    return all(args.length > 0 ? args : names);
  }
  if (name === undefined || !names.includes(name)) {
    if (name !== undefined) console.error(`no benchmark named "${name}"\n`);
    console.log('benchmarks (`all`: every one with a summary, as one table):');
    for (const n of names) {
      const bench = load(n);
      console.log(`  ${n.padEnd(24)} ${bench.summary ? '*' : ' '} ${bench.description}`);
    }
    console.log('\n* in `all`');
    process.exitCode = name === undefined ? 0 : 1;
    return;
  }
  const bench = load(name);
  header(`${name}: ${bench.description}`);
  await bench.run(args);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
