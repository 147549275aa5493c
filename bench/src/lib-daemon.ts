import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';

/** The built CLI, as users run it. */
export const CLI = path.resolve(__dirname, '..', '..', 'packages', 'sextant', 'dist', 'cli.js');

export interface Daemon {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly discovery: string;
  readonly admin: string;
  readonly xds: string;
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

/** A services file for the file adapter: `services` HTTP services with `instances` each, over 20 namespaces. */
export function servicesFile({ services, instances, port = 8080 }: MeshShape): string {
  const out: string[] = ['{"services":['];
  for (let i = 0; i < services; i += 1) {
    const hosts = Array.from(
      { length: instances },
      (_, j) =>
        `{"address":"10.${2 + (j % 200)}.${i >> 8}.${i & 255}","port":${port},"labels":{"version":"v${j % 3}"},"locality":{"zone":"z${j % 3}"}}`,
    );
    out.push(
      `${i === 0 ? '' : ','}{"hostname":"svc-${i}.ns-${i % 20}.svc.cluster.local","ports":[{"name":"http","port":${port},"protocol":"http"}],"addresses":["10.1.${i >> 8}.${i & 255}"],"instances":[${hosts.join(',')}]}`,
    );
  }
  out.push(']}');
  return out.join('\n');
}

/**
 * Spawns the built daemon on free loopback ports with the file adapter on `services`, waits until
 * it is ready, and returns its addresses. `extra` is appended to its sextant.yaml.
 */
export async function startDaemon(
  services: string,
  options: { extra?: string; nodeArgs?: string[]; logLevel?: string } = {},
): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-'));
  fs.writeFileSync(path.join(dir, 'services.json'), services);
  const [discovery, admin, xds] = [await freePort(), await freePort(), await freePort()];
  fs.writeFileSync(
    path.join(dir, 'sextant.yaml'),
    [
      `listen: { discovery: "127.0.0.1:${discovery}", admin: "127.0.0.1:${admin}", xds: "127.0.0.1:${xds}" }`,
      `log: { level: ${options.logLevel ?? 'error'} }`,
      'adapters: [{ type: file, path: services.json }]',
      options.extra ?? '',
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), CLI, '--config', path.join(dir, 'sextant.yaml')],
    { stdio: 'ignore' },
  );
  const adminUrl = `http://127.0.0.1:${admin}`;
  await waitFor(async () => (await fetch(`${adminUrl}/readyz`).catch(() => undefined))?.ok === true, {
    timeoutMs: 120_000,
    intervalMs: 10,
    message: 'the daemon to be ready',
  });
  return {
    child,
    dir,
    discovery: `http://127.0.0.1:${discovery}`,
    admin: adminUrl,
    xds: `127.0.0.1:${xds}`,
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
