import type { Health, InstanceInput, Labels, Locality } from '@sextant/core';
import { portProtocol } from './port-protocol';
import type { EndpointView, NodeView, ServicePortView, ServiceView, SliceView } from './projections';
import { servicePortName } from './to-service-input';

/** Istio's label for the cluster an endpoint runs in. */
export const CLUSTER_LABEL = 'topology.istio.io/cluster';

/** What endpoints borrow from other objects: their pod's labels and their node's locality. */
export interface EndpointContext {
  pod(key: string): Labels | undefined;
  node(name: string): NodeView | undefined;
  readonly clusterName: string;
}

/**
 * The instances of a Service: one per endpoint address and slice port that maps to a proxied
 * Service port. The instance port is the slice's resolved target port, so a named `targetPort`
 * that resolves to two numbers on two sets of pods gives two sets of instances. The same address
 * and port in two slices (a transient overlap while the controller moves endpoints) is one
 * instance, the healthiest. FQDN slices are ignored.
 */
export function toInstances(
  service: ServiceView,
  slices: Iterable<SliceView>,
  context: EndpointContext,
): InstanceInput[] {
  const ports = new Map<string, ServicePortView>();
  for (const port of service.ports) if (portProtocol(port) !== undefined) ports.set(port.name, port);
  const instances = new Map<string, InstanceInput>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const slicePort of slice.ports) {
      const servicePort = ports.get(slicePort.name);
      if (!servicePort || slicePort.protocol !== servicePort.protocol) continue;
      const port = slicePort.port ?? numericTarget(servicePort);
      const portName = servicePortName(servicePort);
      for (const endpoint of slice.endpoints) {
        const instance = toInstance(endpoint, portName, port, context);
        const id = `${portName} ${instance.address} ${port}`;
        const existing = instances.get(id);
        if (
          !existing ||
          HEALTH_RANK[instance.health ?? 'healthy'] > HEALTH_RANK[existing.health ?? 'healthy']
        ) {
          instances.set(id, instance);
        }
      }
    }
  }
  return [...instances.values()].sort(compareInstances);
}

/**
 * `ready` receives traffic; `serving` while `terminating` finishes what it has (draining);
 * anything else is unhealthy.
 */
export function endpointHealth(endpoint: Pick<EndpointView, 'ready' | 'serving' | 'terminating'>): Health {
  if (endpoint.ready) return 'healthy';
  if (endpoint.serving && endpoint.terminating) return 'draining';
  return 'unhealthy';
}

const HEALTH_RANK: Readonly<Record<Health, number>> = { unhealthy: 0, draining: 1, healthy: 2 };

function toInstance(
  endpoint: EndpointView,
  portName: string,
  port: number,
  context: EndpointContext,
): InstanceInput {
  const podLabels = endpoint.pod === undefined ? undefined : context.pod(endpoint.pod);
  const node = endpoint.nodeName === undefined ? undefined : context.node(endpoint.nodeName);
  return {
    address: endpoint.address,
    port,
    portName,
    labels: { ...podLabels, [CLUSTER_LABEL]: context.clusterName },
    locality: locality(endpoint, node),
    health: endpointHealth(endpoint),
  };
}

/** The endpoint's zone (the controller copies it from its node) and its node's region and subzone. */
function locality(endpoint: EndpointView, node: NodeView | undefined): Locality {
  const zone = endpoint.zone ?? node?.zone;
  return {
    ...(node?.region !== undefined && { region: node.region }),
    ...(zone !== undefined && { zone }),
    ...(node?.subzone !== undefined && { subzone: node.subzone }),
  };
}

/** A slice port without a number leaves it to the consumer: the numeric targetPort, else the service port. */
function numericTarget(port: ServicePortView): number {
  return typeof port.targetPort === 'number' ? port.targetPort : port.port;
}

function compareInstances(a: InstanceInput, b: InstanceInput): number {
  return a.portName < b.portName
    ? -1
    : a.portName > b.portName
      ? 1
      : a.address < b.address
        ? -1
        : a.address > b.address
          ? 1
          : a.port - b.port;
}
