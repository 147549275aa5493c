import { meshFactsOf, silentLogger, type HostedInstanceInput, type ServiceInput } from '@sextant/core';
import { adapterContext, type LoadedConfig } from '../config/load-config';
import type { OfflineMesh } from './check-rule-files';

/**
 * The mesh as far as the config's adapters describe it without running: what each adapter with
 * an `offlineState` (the file adapter: its services file) would report. Adapters of a live
 * platform (Consul, Kubernetes, Nomad…) report only at run time, so then the mesh may hold more
 * hosts than are known here; and which instances a subset selects is checked only when every
 * adapter's instances are known.
 */
export async function offlineMesh(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<OfflineMesh> {
  const services: ServiceInput[] = [];
  const instances: HostedInstanceInput[] = [];
  const live: string[] = [];
  for (const adapter of loaded.adapters) {
    const context = adapterContext(adapter.name, loaded.baseDir, env, silentLogger);
    const state = await adapter.factory.offlineState?.(adapter.options, context);
    if (!state) {
      live.push(`${adapter.name} (${adapter.type})`);
      continue;
    }
    // In adapter order: a hostname two adapters report takes its ports from the first, as in the registry.
    services.push(...state.services);
    instances.push(...state.instances);
  }
  const facts = meshFactsOf(services, live.length === 0 ? instances : undefined);
  if (live.length === 0) return { facts };
  const who = live.length === 1 ? `adapter ${live.join('')} reports` : `adapters ${live.join(', ')} report`;
  return { facts, unknownHosts: `${who} services only at run time` };
}

/** No config: only the hosts ServiceEntries in the rules define are known. */
export const UNKNOWN_MESH: OfflineMesh = {
  facts: meshFactsOf([]),
  unknownHosts: "without --config, the mesh's services are not known",
};
