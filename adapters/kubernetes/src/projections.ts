import type { Labels } from '@sextant/core';

/**
 * The parts of Kubernetes objects the model is built from, read defensively from either a raw
 * watch event or client-node's deserialised list items (both use the API's field names). Only
 * these are kept: a pod costs its labels, not its 10 KB of spec and status, and an update that
 * changes nothing here (a status heartbeat, an annotation, managedFields) changes no view, so it
 * is dropped before it costs any work.
 */

export interface ServiceView {
  readonly namespace: string;
  readonly name: string;
  /** `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`. */
  readonly type: string;
  /** The virtual IPs (`clusterIPs`, both families); empty for a headless service. */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePortView[];
  readonly labels: Labels;
}

export interface ServicePortView {
  /** `""` for a single unnamed port. */
  readonly name: string;
  readonly port: number;
  /** `TCP`, `UDP` or `SCTP`. */
  readonly protocol: string;
  readonly appProtocol?: string;
  readonly targetPort?: number | string;
}

export interface SliceView {
  readonly namespace: string;
  /** The `kubernetes.io/service-name` label: the Service this slice belongs to. */
  readonly serviceName?: string;
  /** `IPv4`, `IPv6` or `FQDN`. */
  readonly addressType: string;
  readonly ports: readonly SlicePortView[];
  readonly endpoints: readonly EndpointView[];
}

export interface SlicePortView {
  /** The service port's name (`""` for a single unnamed port). */
  readonly name: string;
  /** The resolved target port; absent on slices that leave it to the consumer. */
  readonly port?: number;
  readonly protocol: string;
}

export interface EndpointView {
  readonly address: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** `<namespace>/<name>` of the backing pod, when `targetRef` names one. */
  readonly pod?: string;
  readonly nodeName?: string;
  readonly zone?: string;
}

/** What a node contributes to its endpoints' locality. */
export interface NodeView {
  readonly region?: string;
  readonly zone?: string;
  readonly subzone?: string;
}

/** A view and the key it is stored under (`<namespace>/<name>`; `<name>` for nodes). */
export interface Keyed<V> {
  readonly key: string;
  readonly view: V;
}

const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];
const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
const SUBZONE_LABEL = 'topology.istio.io/subzone';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function objectKey(object: unknown): string | undefined {
  const metadata = record(record(object)?.metadata);
  const name = text(metadata?.name);
  if (name === undefined) return undefined;
  const namespace = text(metadata?.namespace);
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** The object's resourceVersion (also a bookmark's). */
export function resourceVersionOf(object: unknown): string | undefined {
  return text(record(record(object)?.metadata)?.resourceVersion);
}

export function projectService(object: unknown): Keyed<ServiceView> | undefined {
  const metadata = record(record(object)?.metadata);
  const spec = record(record(object)?.spec);
  const name = text(metadata?.name);
  const namespace = text(metadata?.namespace);
  if (name === undefined || namespace === undefined) return undefined;
  const clusterIP = text(spec?.clusterIP);
  const clusterIPs = strings(spec?.clusterIPs);
  const headless = clusterIP === 'None';
  const ports: ServicePortView[] = [];
  for (const item of array(spec?.ports)) {
    const port = record(item);
    const number = port?.port;
    if (typeof number !== 'number') continue;
    const appProtocol = text(port?.appProtocol);
    const targetPort = port?.targetPort;
    ports.push({
      name: text(port?.name) ?? '',
      port: number,
      protocol: text(port?.protocol) ?? 'TCP',
      ...(appProtocol !== undefined && { appProtocol }),
      ...((typeof targetPort === 'number' || (typeof targetPort === 'string' && targetPort !== '')) && {
        targetPort,
      }),
    });
  }
  return {
    key: `${namespace}/${name}`,
    view: {
      namespace,
      name,
      type: text(spec?.type) ?? 'ClusterIP',
      clusterIPs: headless
        ? []
        : clusterIPs.length > 0
          ? clusterIPs
          : clusterIP !== undefined && clusterIP !== ''
            ? [clusterIP]
            : [],
      ports,
      labels: labelsOf(metadata),
    },
  };
}

export function projectEndpointSlice(object: unknown): Keyed<SliceView> | undefined {
  const body = record(object);
  const metadata = record(body?.metadata);
  const name = text(metadata?.name);
  const namespace = text(metadata?.namespace);
  if (name === undefined || namespace === undefined) return undefined;
  const serviceName = text(record(metadata?.labels)?.[SERVICE_NAME_LABEL]);
  const ports: SlicePortView[] = [];
  for (const item of array(body?.ports)) {
    const port = record(item);
    if (!port) continue;
    const number = port.port;
    ports.push({
      name: text(port.name) ?? '',
      ...(typeof number === 'number' && { port: number }),
      protocol: text(port.protocol) ?? 'TCP',
    });
  }
  const endpoints: EndpointView[] = [];
  for (const item of array(body?.endpoints)) {
    const endpoint = record(item);
    // The API allows up to 100 fungible addresses; the controller writes one, and consumers may use the first.
    const address = text(array(endpoint?.addresses)[0]);
    if (!endpoint || address === undefined) continue;
    const conditions = record(endpoint.conditions);
    // Unknown conditions: ready; serving "defers to ready" (discovery/v1 types.go); not terminating.
    const ready = conditions?.ready !== false;
    const serving = typeof conditions?.serving === 'boolean' ? conditions.serving : ready;
    const terminating = conditions?.terminating === true;
    const targetRef = record(endpoint.targetRef);
    const podName = targetRef?.kind === 'Pod' ? text(targetRef.name) : undefined;
    const nodeName = text(endpoint.nodeName);
    const zone = text(endpoint.zone);
    endpoints.push({
      address,
      ready,
      serving,
      terminating,
      ...(podName !== undefined && { pod: `${text(targetRef?.namespace) ?? namespace}/${podName}` }),
      ...(nodeName !== undefined && { nodeName }),
      ...(zone !== undefined && { zone }),
    });
  }
  return {
    key: `${namespace}/${name}`,
    view: {
      namespace,
      ...(serviceName !== undefined && { serviceName }),
      addressType: text(body?.addressType) ?? '',
      ports,
      endpoints,
    },
  };
}

/** A pod is its labels (`version` selects subsets); the adapter asks for its metadata only. */
export function projectPod(object: unknown): Keyed<Labels> | undefined {
  const key = objectKey(object);
  if (key === undefined || !key.includes('/')) return undefined;
  return { key, view: labelsOf(record(record(object)?.metadata)) };
}

export function projectNode(object: unknown): Keyed<NodeView> | undefined {
  const metadata = record(record(object)?.metadata);
  const name = text(metadata?.name);
  if (name === undefined) return undefined;
  const labels = labelsOf(metadata);
  const region = first(labels, REGION_LABELS);
  const zone = first(labels, ZONE_LABELS);
  const subzone = labels[SUBZONE_LABEL];
  return {
    key: name,
    view: {
      ...(region !== undefined && { region }),
      ...(zone !== undefined && { zone }),
      ...(subzone !== undefined && subzone !== '' && { subzone }),
    },
  };
}

function first(labels: Labels, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = labels[key];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function labelsOf(metadata: Record<string, unknown> | undefined): Labels {
  const labels: Record<string, string> = {};
  const raw = record(metadata?.labels);
  if (!raw) return labels;
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') labels[key] = value;
  return labels;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function array(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function strings(value: unknown): string[] {
  return array(value).filter((item): item is string => typeof item === 'string' && item !== '');
}
