import { ConfigError, formatProblem, silentLogger } from '@sextant/core';
import { loadConfig } from '../config/load-config';

export interface ValidateOptions {
  readonly configFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Checks a config and every file its adapters point at, without starting anything.
 * Prints every problem (file:line:column: field path: what was expected); exit 1 on any, else 0.
 */
export async function validate(options: ValidateOptions): Promise<number> {
  try {
    const loaded = await loadConfig(options.configFile, {
      env: options.env,
      logger: silentLogger,
      checkAdapters: true,
    });
    const names = loaded.adapters.map((a) => `${a.name} (${a.type})`).join(', ');
    options.stdout.write(`${options.configFile}: ok, ${loaded.adapters.length} adapter(s): ${names}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) options.stderr.write(`${formatProblem(problem)}\n`);
    options.stderr.write(`${error.problems.length} problem(s) found\n`);
    return 1;
  }
}
