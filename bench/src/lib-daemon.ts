import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';

/** The built CLI, as users run it. */
export const CLI = path.resolve(__dirname, '..', '..', 'packages', 'sextant', 'bin', 'sextant.js');

export interface Daemon {
  readonly child: ChildProcess;
  readonly dir: string;
  /** The services file the daemon's file adapter follows. */
  readonly servicesFile: string;
  readonly discovery: string;
  readonly admin: string;
  readonly xds: string;
  /** From spawning the process to the first 200 from /readyz, in ms. */
  readonly readyMs: number;
  /** The daemon's resident set in MiB, as its /metrics reports it. */
  rss(): Promise<number>;
  stop(): Promise<void>;
}

export interface MeshShape {
  readonly services: number;
  readonly instances: number;
  /** Services share one HTTP port (`8080`), so every sidecar's route table lists them all. */
  readonly port?: number;
}

/** The hostname of the i-th service of servicesFile. */
export function serviceHostname(i: number): string {
  return `svc-${i}.ns-${i % 20}.svc.cluster.local`;
}

/** The address of the j-th instance of the i-th service of servicesFile (unique in the file). */
export function instanceAddress(i: number, j: number): string {
  return `10.${2 + (j % 200)}.${i >> 8}.${i & 255}`;
}

/** A services file for the file adapter: `services` HTTP services with `instances` each, over 20 namespaces. */
export function servicesFile({ services, instances, port = 8080 }: MeshShape): string {
  const out: string[] = ['{"services":['];
  for (let i = 0; i < services; i += 1) {
    const hosts = Array.from(
      { length: instances },
      (_, j) =>
        `{"address":"${instanceAddress(i, j)}","port":${port},"labels":{"version":"v${j % 3}"},"locality":{"zone":"z${j % 3}"}}`,
    );
    out.push(
      `${i === 0 ? '' : ','}{"hostname":"${serviceHostname(i)}","ports":[{"name":"http","port":${port},"protocol":"http"}],"addresses":["10.1.${i >> 8}.${i & 255}"],"instances":[${hosts.join(',')}]}`,
    );
  }
  out.push(']}');
  return out.join('\n');
}

/** A daemon's directory and free ports, ready to launch (as often as wanted, one at a time). */
export interface DaemonSetup {
  readonly dir: string;
  readonly config: string;
  readonly servicesFile: string;
  readonly ports: { readonly discovery: number; readonly admin: number; readonly xds: number };
}

/**
 * Writes a sextant.yaml with the file adapter on `services` (written to services.json) into a new
 * temporary directory, on free loopback ports. `extra` is appended to the sextant.yaml.
 */
export async function prepareDaemon(
  services: string,
  options: { extra?: string; logLevel?: string } = {},
): Promise<DaemonSetup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-'));
  const file = path.join(dir, 'services.json');
  fs.writeFileSync(file, services);
  const [discovery, admin, xds] = [await freePort(), await freePort(), await freePort()];
  const config = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(
    config,
    [
      `listen: { discovery: "127.0.0.1:${discovery}", admin: "127.0.0.1:${admin}", xds: "127.0.0.1:${xds}" }`,
      `log: { level: ${options.logLevel ?? 'error'} }`,
      'adapters: [{ type: file, path: services.json }]',
      options.extra ?? '',
      '',
    ].join('\n'),
  );
  return { dir, config, servicesFile: file, ports: { discovery, admin, xds } };
}

/** Spawns the built daemon on a prepared setup and waits until /readyz answers 200. */
export async function launchDaemon(
  setup: DaemonSetup,
  options: { nodeArgs?: string[] } = {},
): Promise<Daemon> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, '--config', setup.config], {
    stdio: 'ignore',
  });
  const adminUrl = `http://127.0.0.1:${setup.ports.admin}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(
    async () => {
      if (exited) throw new Error(`the daemon exited before it was ready (${setup.config})`);
      return (await fetch(`${adminUrl}/readyz`).catch(() => undefined))?.ok === true;
    },
    { timeoutMs: 120_000, intervalMs: 5, message: 'the daemon to be ready' },
  );
  const readyMs = performance.now() - started;
  return {
    child,
    dir: setup.dir,
    servicesFile: setup.servicesFile,
    discovery: `http://127.0.0.1:${setup.ports.discovery}`,
    admin: adminUrl,
    xds: `127.0.0.1:${setup.ports.xds}`,
    readyMs,
    async rss() {
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]) / 1024 / 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Spawns the built daemon on free loopback ports with the file adapter on `services`, waits until
 * it is ready, and returns its addresses. `extra` is appended to its sextant.yaml.
 */
export async function startDaemon(
  services: string,
  options: { extra?: string; nodeArgs?: string[]; logLevel?: string } = {},
): Promise<Daemon> {
  return launchDaemon(await prepareDaemon(services, options), options);
}
