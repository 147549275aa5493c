import { ConfigError, formatProblem, LOG_LEVELS, silentLogger, type LogLevel } from '@sextant/core';
import type { Logger } from 'pino';
import { choiceOption, stringOption, type Command } from '../cli/command';
import { loadConfig, type LoadedConfig } from '../config/load-config';
import { createContainer } from '../daemon/container';
import { kubernetesTokenReviewer } from '../daemon/kubernetes-token-reviewer';
import { loadWorkloadCa } from '../daemon/workload-ca';
import { CaSetupError } from '@sextant/server';
import { Daemon, ListenError } from '../daemon/daemon';
import { LogOutput } from '../log-output';
import { createLogger } from '../logging';
import { quickstartBanner, quickstartConfigPath } from '../quickstart';

export interface RunOptions {
  readonly configFile?: string;
  readonly logLevel?: LogLevel;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where logs go: written through its file descriptor (see LogOutput), never as a stream. */
  readonly stdout: { readonly fd: number; readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

const SHUTDOWN_DEADLINE_MS = 4500;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon (no --config: the built-in quickstart)',
  details: `Log levels: ${LOG_LEVELS.join(', ')} (default: log.level in the config). Docs: docs/configuration.md`,
  usage: '[--config FILE] [--log-level LEVEL]',
  options: { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' } },
  positionals: { min: 0, max: 0 },
  run: ({ values }, io) => {
    const logLevel =
      values['log-level'] === undefined ? undefined : choiceOption(values, 'log-level', LOG_LEVELS, 'info');
    return run({ ...io, configFile: stringOption(values, 'config'), logLevel });
  },
};

/**
 * Runs the daemon until SIGTERM or SIGINT. Exit codes: 0 after a clean stop; 2 for a config that
 * cannot be used (every problem printed, no stack trace); 1 when a listener cannot be opened.
 * SIGHUP reloads the configuration (see Reloader); one that arrives while the daemon starts is
 * logged and ignored (Node's default would end the process at once, silently).
 */
export async function run(options: RunOptions): Promise<number> {
  const configFile = options.configFile ?? quickstartConfigPath();
  let loaded;
  try {
    loaded = await loadConfig(configFile, { env: options.env, logger: silentLogger });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.stderr.write(
      `sextant: ${configFile} cannot be used:\n${error.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`,
    );
    return 2;
  }
  let ca;
  let tokenReviewer;
  try {
    ca = await loadWorkloadCa(loaded);
    tokenReviewer = kubernetesTokenReviewer(loaded, options.env);
  } catch (error) {
    if (!(error instanceof CaSetupError)) throw error;
    options.stderr.write(`sextant: ${configFile} cannot be used:\n  ${error.message}\n`);
    return 2;
  }

  const output = new LogOutput(options.stdout.fd);
  const logger = createLogger(options.logLevel ?? loaded.config.log.level, output, options.stdout.isTTY);
  // Listen for signals before anything opens, so a stop during start-up is still graceful.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const daemon = createContainer(loaded, logger, options.env, {
    logLevelFromCommandLine: options.logLevel,
    ...(ca !== undefined && { ca }),
    ...(tokenReviewer !== undefined && { tokenReviewer }),
  }).resolve(Daemon);
  let started = false;
  // The reload logs its own outcome.
  const onHangUp = () => {
    if (started) void daemon.reload('SIGHUP');
    else logger.warn({ signal: 'SIGHUP' }, 'SIGHUP while starting: ignored; send it again once started');
  };
  process.on('SIGHUP', onHangUp);
  try {
    return await runUntilStopped(options, daemon, loaded, logger, output, stopSignal, () => (started = true));
  } finally {
    process.off('SIGHUP', onHangUp);
  }
}

async function runUntilStopped(
  options: RunOptions,
  daemon: Daemon,
  loaded: LoadedConfig,
  logger: Logger,
  output: LogOutput,
  stopSignal: Promise<NodeJS.Signals>,
  onStarted: () => void,
): Promise<number> {
  let bound: Record<string, string>;
  try {
    bound = await daemon.start();
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    logger.fatal(error.message);
    options.stderr.write(`sextant: ${error.message}\n`);
    return 1;
  }
  onStarted();
  logger.info(
    { config: loaded.file, adapters: loaded.adapters.map((a) => `${a.name} (${a.type})`) },
    'sextant started',
  );
  if (options.configFile === undefined) output.write(quickstartBanner(loaded.file, bound));

  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down');
  // A second signal, or a stop that hangs, must not keep the process around.
  process.once(signal, () => process.exit(1));
  const deadline = setTimeout(() => {
    logger.warn(`shutdown took over ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
    process.exit(0);
  }, SHUTDOWN_DEADLINE_MS);
  await daemon.stop();
  clearTimeout(deadline);
  logger.info('stopped');
  return 0;
}
