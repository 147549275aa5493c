import { PROTOCOLS, type InstanceInput, type Protocol, type ServiceInput } from '@sextant/core';
import type { Registration } from '../nomad/wire';
import type { MappingSettings } from '../settings';
import { labelsFromTags, tagValue } from './tag-labels';

/** A Nomad service as the mesh sees it, with what the operator should know about how it was read. */
export interface MeshService {
  readonly service: ServiceInput;
  readonly instances: readonly InstanceInput[];
  /** Tags that could not be used, and registrations that disagree; logged when the service changes. */
  readonly notes: readonly string[];
}

/**
 * Maps the registrations of one hostname (one Nomad service in one namespace, with the default
 * template) to a mesh service with one port, named after its protocol (`web.default.nomad|http`):
 *
 * - protocol: the `protocol=…` tag, else `defaultProtocol`; port clients dial: the `port=…` tag,
 *   else `servicePort` (Nomad's ports are per allocation, usually dynamic, so the instance port is
 *   no name for the service). Registrations that disagree are outvoted: the most common value wins.
 * - every registration is a healthy instance at its `Address:Port` (Nomad keeps no health here);
 *   registrations at the same address and port (host networking, an allocation restarting) are one.
 * - labels: the tags (see labelsFromTags), plus `nomad.AllocID`, `nomad.JobID` and `nomad.NodeID`;
 *   locality: the configured region and the registration's datacenter as zone.
 *
 * Undefined when no registration is selected: the service is not in the mesh.
 */
export function toMeshService(
  hostname: string,
  registrations: readonly Registration[],
  settings: MappingSettings,
): MeshService | undefined {
  const selected = registrations.filter((r) => settings.selection.wantsInstance(r.tags));
  if (selected.length === 0) return undefined;
  const notes: string[] = [];
  const labelled = selected.map((registration) => ({
    registration,
    labels: labelsFromTags(registration.tags),
  }));

  const protocol = mostCommon(
    labelled.map(({ registration, labels }) =>
      protocolOf(registration, tagValue(labels, 'protocol'), settings, notes),
    ),
    (a, b) => PROTOCOLS.indexOf(a) - PROTOCOLS.indexOf(b),
    'protocol',
    notes,
  );
  const port = mostCommon(
    labelled.map(({ registration, labels }) =>
      portOf(registration, tagValue(labels, 'port'), settings, notes),
    ),
    (a, b) => a - b,
    'port',
    notes,
  );

  const seen = new Set<string>();
  const instances: InstanceInput[] = [];
  for (const { registration, labels } of labelled) {
    const endpoint = `${registration.address}:${registration.port}`;
    if (seen.has(endpoint)) continue;
    seen.add(endpoint);
    instances.push({
      address: registration.address,
      port: registration.port,
      portName: protocol,
      labels: {
        ...labels,
        'nomad.AllocID': registration.allocId,
        'nomad.JobID': registration.jobId,
        'nomad.NodeID': registration.nodeId,
      },
      locality: {
        ...(settings.region !== undefined && { region: settings.region }),
        ...(registration.datacenter !== '' && { zone: registration.datacenter }),
      },
      health: 'healthy',
    });
  }
  return { service: { hostname, ports: [{ name: protocol, port, protocol }] }, instances, notes };
}

function protocolOf(
  registration: Registration,
  tagged: string | undefined,
  settings: MappingSettings,
  notes: string[],
): Protocol {
  if (tagged === undefined) return settings.defaultProtocol;
  if ((PROTOCOLS as readonly string[]).includes(tagged)) return tagged as Protocol;
  notes.push(
    `registration ${registration.id}: tag protocol=${tagged} is not one of ${PROTOCOLS.join(', ')}; ` +
      `taking ${settings.defaultProtocol}`,
  );
  return settings.defaultProtocol;
}

function portOf(
  registration: Registration,
  tagged: string | undefined,
  settings: MappingSettings,
  notes: string[],
): number {
  if (tagged === undefined) return settings.servicePort;
  const port = /^\d{1,5}$/.test(tagged) ? Number(tagged) : NaN;
  if (port >= 1 && port <= 65535) return port;
  notes.push(
    `registration ${registration.id}: tag port=${tagged} is not a port number; taking ${settings.servicePort}`,
  );
  return settings.servicePort;
}

/** The value most registrations have; ties go to the first in `order`. Disagreement is noted. */
function mostCommon<T>(
  values: readonly T[],
  order: (a: T, b: T) => number,
  what: string,
  notes: string[],
): T {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const ranked = [...counts].sort(([a, n], [b, m]) => m - n || order(a, b));
  const [winner] = ranked[0] as [T, number];
  if (ranked.length > 1) {
    notes.push(
      `registrations disagree on the ${what} (${ranked.map(([v, n]) => `${String(v)}: ${n}`).join(', ')}); ` +
        `serving ${String(winner)}`,
    );
  }
  return winner;
}
