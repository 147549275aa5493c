/**
 * `npm run bench -- <name> [args]` runs one benchmark (bench/src/<name>.ts, built to dist);
 * `npm run bench` lists them. Benchmarks print tables of figures; they are not tests and
 * assert nothing: read them side by side with their baseline rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Benchmark {
  readonly description: string;
  run(args: readonly string[]): Promise<void>;
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

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = available();
  if (name === undefined || !names.includes(name)) {
    if (name !== undefined) console.error(`no benchmark named "${name}"\n`);
    console.log('benchmarks:');
    for (const n of names) {
      // Benchmarks are found at run time, by file name.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bench = require(path.join(__dirname, n)) as Benchmark;
      console.log(`  ${n.padEnd(24)} ${bench.description}`);
    }
    process.exitCode = name === undefined ? 0 : 1;
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bench = require(path.join(__dirname, name)) as Benchmark;
  console.log(`# ${name}: ${bench.description}`);
  console.log(`# node ${process.version}, ${os.cpus().length} cpus, ${new Date().toISOString()}\n`);
  await bench.run(args);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
