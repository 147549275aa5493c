import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, waitFor } from '@sextant/testkit';

/** The built CLI, as `npm start` and users run it. */
export const CLI = path.resolve(__dirname, '..', 'bin', 'sextant.js');

/**
 * The single-file executable that `npm run package` builds, when SEXTANT_BINARY names it: CI runs
 * these tests once more against the binary alone in an empty directory (.ci/run).
 */
const BINARY = process.env.SEXTANT_BINARY;

/** The command and arguments that run sextant with `args`: the built CLI under this Node, or the binary. */
export function sextantCommand(args: readonly string[]): [string, string[]] {
  return BINARY ? [BINARY, [...args]] : [process.execPath, [CLI, ...args]];
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly discovery: string;
  readonly admin: string;
  /** The port ${XDS} / ${XDS_PORT} named, whether or not the config listens on it. */
  readonly xdsPort: number;
  readonly dir: string;
  output(): string;
  /** Sends SIGTERM; resolves with the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-e2e-'));
}

export interface StartOptions {
  /** The daemon's environment (default: the test's). */
  readonly env?: NodeJS.ProcessEnv;
  /** A file descriptor for the daemon's stdout (e.g. /dev/full opened for writing) instead of a pipe to the test. */
  readonly stdout?: number;
  /** Options for Node itself (a heap limit, say), as NODE_OPTIONS: the binary takes them so too. */
  readonly nodeOptions?: readonly string[];
}

/**
 * Starts the real daemon on free ports with `config` (a YAML string using ${DISCOVERY}/${ADMIN}/${XDS},
 * or ${DISCOVERY_PORT}/${ADMIN_PORT}/${XDS_PORT} with a host of its own), once admin answers on
 * 127.0.0.1. The three ports are picked together, so they are distinct.
 */
export async function startDaemon(
  dir: string,
  config: string,
  args: string[] = [],
  options: StartOptions = {},
): Promise<DaemonProcess> {
  const [discoveryPort, adminPort, xdsPort] = (await freePorts(3)) as [number, number, number];
  const configFile = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(configFile, config);
  const env = options.env ?? process.env;
  const child = spawn(...sextantCommand(['--config', configFile, ...args]), {
    env: {
      ...env,
      ...(options.nodeOptions && {
        NODE_OPTIONS: [env.NODE_OPTIONS ?? '', ...options.nodeOptions].join(' ').trim(),
      }),
      DISCOVERY: `127.0.0.1:${discoveryPort}`,
      ADMIN: `127.0.0.1:${adminPort}`,
      XDS: `127.0.0.1:${xdsPort}`,
      DISCOVERY_PORT: String(discoveryPort),
      ADMIN_PORT: String(adminPort),
      XDS_PORT: String(xdsPort),
    },
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const admin = `http://127.0.0.1:${adminPort}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`sextant exited with ${child.exitCode}:\n${output}`);
        return (await fetch(`${admin}/healthz`).catch(() => undefined))?.ok === true;
      },
      { timeoutMs: 30_000, message: () => `sextant did not start:\n${output}` },
    );
  } catch (error) {
    // A daemon that never answered is not handed to the test, so nothing else would stop it.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    discovery: `http://127.0.0.1:${discoveryPort}`,
    admin,
    xdsPort,
    dir,
    output: () => output,
    terminate: () =>
      new Promise((resolve) => {
        // A daemon that already died (of a signal too: an abort leaves exitCode null) is not waited for.
        if (child.exitCode !== null || child.signalCode !== null)
          return resolve({ code: child.exitCode, ms: 0 });
        const started = Date.now();
        child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Runs the CLI to completion, or kills it after `timeoutMs` (then `code` is null and
 * `timedOut` true), so a CLI that hangs fails the test instead of outliving it.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(...sextantCommand(args), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export interface FileMeshOptions {
  /** Rules file patterns (`rules:`), relative to `dir`. */
  readonly rules?: readonly string[];
  /** How often the file adapter polls services.yaml. Default 200ms. */
  readonly pollInterval?: string;
}

/**
 * The daemon as the xDS end-to-end tests run it: the file adapter on `dir`/services.yaml (written
 * by the caller), the xDS listener on its own free port (`xdsPort`), a short debounce; once
 * /readyz answers 200 (a daemon that never gets there is stopped, its output in the error).
 */
export async function startFileMesh(dir: string, options: FileMeshOptions = {}): Promise<DaemonProcess> {
  const daemon = await startDaemon(
    dir,
    [
      'listen:',
      '  discovery: ${DISCOVERY}',
      '  admin: ${ADMIN}',
      '  xds: ${XDS}',
      ...(options.rules ? [`rules: [${options.rules.join(', ')}]`] : []),
      'debounce: { after: 50ms, max: 300ms }',
      'log: { level: warn }',
      'adapters:',
      `  - { name: local, type: file, path: services.yaml, pollInterval: ${options.pollInterval ?? '200ms'} }`,
      '',
    ].join('\n'),
  );
  await untilReady(daemon, 15_000);
  return daemon;
}

/**
 * Waits until `daemon`'s /readyz answers 200; a daemon that does not within `timeoutMs` is stopped,
 * and the error carries its output.
 */
export async function untilReady(daemon: DaemonProcess, timeoutMs: number): Promise<void> {
  try {
    await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
      timeoutMs,
      message: () => `the daemon to be ready:\n${daemon.output()}`,
    });
  } catch (error) {
    await daemon.terminate();
    throw error;
  }
}
