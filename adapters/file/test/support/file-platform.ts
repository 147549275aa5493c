import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformancePlatform, ConformanceService } from '@sextant/testkit';
import type { FileAdapterOptions } from '../../src';

/**
 * The conformance platform of the file adapter: a services file in a fresh temp directory.
 * Every write is atomic (write a staging file, rename it over), as a careful operator's tool
 * would do, so the adapter never sees a half-written file. Broken means a syntax error.
 */
export async function startFilePlatform(): Promise<ConformancePlatform<FileAdapterOptions>> {
  const root = await mkdtemp(join(tmpdir(), 'sextant-file-conformance-'));
  const dir = join(root, 'config');
  const file = join(dir, 'services.json');
  await mkdir(dir);
  let services: readonly ConformanceService[] = [];
  let broken = false;

  const write = async (text: string): Promise<void> => {
    const staging = join(root, 'staging');
    await writeFile(staging, text);
    await rename(staging, file);
  };
  const hostname = (name: string): string => `${name}.conformance.test`;
  const render = (): string =>
    JSON.stringify({
      services: services.map((service) => ({
        hostname: hostname(service.name),
        ports: [{ name: 'http', port: 80 }],
        instances: service.instances.map(({ address, port }) => ({ address, port })),
      })),
    });

  await write(render());
  return {
    options: () => ({ path: file }),
    hostname,
    async setServices(next) {
      services = next;
      if (!broken) await write(render());
    },
    async breakPlatform() {
      broken = true;
      await write('{ "services": [ { "hostname": ');
    },
    async repairPlatform() {
      broken = false;
      await write(render());
    },
    async close() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
