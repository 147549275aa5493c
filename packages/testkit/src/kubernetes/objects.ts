import type { KubeObject } from './object-store';

/**
 * Builders for the objects the fake serves, shaped like the API server's (and like the fixtures
 * in the spec: `k8s-service.json`, `k8s-endpointslice.json`): fields a real object has are
 * there, so a client that relies on a field being absent, or present, is tested honestly.
 */

export interface ServicePortSpec {
  /** Omitted for a single unnamed port. */
  readonly name?: string;
  readonly port: number;
  /** A number, or the name of a container port. Default: `port`. */
  readonly targetPort?: number | string;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly appProtocol?: string;
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly ports: readonly ServicePortSpec[];
  /** `None` for a headless service. Default: an address derived from the name. */
  readonly clusterIP?: string;
  /** Dual-stack services list both families. Default: `[clusterIP]`. */
  readonly clusterIPs?: readonly string[];
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  readonly externalName?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Default `{ app: <name> }`; `null` for a service without a selector (hand-made slices). */
  readonly selector?: Readonly<Record<string, string>> | null;
  readonly publishNotReadyAddresses?: boolean;
}

export function k8sService(spec: ServiceSpec): KubeObject {
  const type = spec.type ?? 'ClusterIP';
  const external = type === 'ExternalName';
  const clusterIP = external ? undefined : (spec.clusterIP ?? addressFor(spec.name));
  const clusterIPs = spec.clusterIPs ?? (clusterIP === undefined ? undefined : [clusterIP]);
  const selector = spec.selector === undefined ? { app: spec.name } : spec.selector;
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? 'default',
      labels: spec.labels ?? { app: spec.name },
      ...(spec.annotations && { annotations: spec.annotations }),
    },
    spec: {
      ports: spec.ports.map((port) => ({
        ...(port.name !== undefined && { name: port.name }),
        protocol: port.protocol ?? 'TCP',
        ...(port.appProtocol !== undefined && { appProtocol: port.appProtocol }),
        port: port.port,
        targetPort: port.targetPort ?? port.port,
      })),
      ...(selector !== null && !external && { selector }),
      ...(clusterIP !== undefined && { clusterIP }),
      ...(clusterIPs !== undefined && { clusterIPs }),
      type,
      ...(spec.externalName !== undefined && { externalName: spec.externalName }),
      sessionAffinity: 'None',
      ...(!external && {
        ipFamilies: (clusterIPs ?? []).map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4')),
        ipFamilyPolicy: (clusterIPs ?? []).length > 1 ? 'PreferDualStack' : 'SingleStack',
        internalTrafficPolicy: 'Cluster',
      }),
      ...(spec.publishNotReadyAddresses !== undefined && {
        publishNotReadyAddresses: spec.publishNotReadyAddresses,
      }),
    },
    status: { loadBalancer: {} },
  };
}

export interface EndpointSpec {
  /** The address (the controller writes exactly one). */
  readonly address: string;
  /** Default true. */
  readonly ready?: boolean;
  /** Default: `ready`, as the controller sets it for a pod that is not terminating. */
  readonly serving?: boolean;
  /** Default false. */
  readonly terminating?: boolean;
  /** Leave `conditions` out entirely (consumers must read it as ready). */
  readonly omitConditions?: boolean;
  /** The backing pod's name (`targetRef`); none for hand-made endpoints. */
  readonly pod?: string;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly hostname?: string;
}

export interface EndpointPortSpec {
  /** The service port's name (`""` or omitted for a single unnamed port). */
  readonly name?: string;
  /** The resolved target port; may be omitted on hand-made slices. */
  readonly port?: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly appProtocol?: string;
}

export interface EndpointSliceSpec {
  readonly name: string;
  readonly namespace?: string;
  /** The Service this slice belongs to (label `kubernetes.io/service-name`). */
  readonly service: string;
  readonly addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  /** `null` is what the controller writes for a service without backends. */
  readonly endpoints: readonly EndpointSpec[] | null;
  readonly ports: readonly EndpointPortSpec[] | null;
  readonly managedBy?: string;
}

export function k8sEndpointSlice(spec: EndpointSliceSpec): KubeObject {
  const namespace = spec.namespace ?? 'default';
  return {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: {
      name: spec.name,
      generateName: `${spec.service}-`,
      namespace,
      labels: {
        'endpointslice.kubernetes.io/managed-by': spec.managedBy ?? 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': spec.service,
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name: spec.service, controller: true, blockOwnerDeletion: true },
      ],
    },
    addressType: spec.addressType ?? (spec.endpoints?.[0]?.address.includes(':') ? 'IPv6' : 'IPv4'),
    endpoints:
      spec.endpoints === null
        ? null
        : spec.endpoints.map((endpoint) => {
            const ready = endpoint.ready ?? true;
            return {
              addresses: [endpoint.address],
              ...(!endpoint.omitConditions && {
                conditions: {
                  ready,
                  serving: endpoint.serving ?? ready,
                  terminating: endpoint.terminating ?? false,
                },
              }),
              ...(endpoint.hostname !== undefined && { hostname: endpoint.hostname }),
              ...(endpoint.pod !== undefined && {
                targetRef: { kind: 'Pod', namespace, name: endpoint.pod },
              }),
              ...(endpoint.nodeName !== undefined && { nodeName: endpoint.nodeName }),
              ...(endpoint.zone !== undefined && { zone: endpoint.zone }),
            };
          }),
    ports:
      spec.ports === null
        ? null
        : spec.ports.map((port) => ({
            name: port.name ?? '',
            protocol: port.protocol ?? 'TCP',
            ...(port.appProtocol !== undefined && { appProtocol: port.appProtocol }),
            ...(port.port !== undefined && { port: port.port }),
          })),
  };
}

export interface PodSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ip?: string;
  readonly nodeName?: string;
  /** Default true. */
  readonly ready?: boolean;
  readonly containerPort?: number;
}

export function k8sPod(spec: PodSpec): KubeObject {
  const ready = spec.ready ?? true;
  const conditionStatus = ready ? 'True' : 'False';
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? 'default',
      labels: spec.labels ?? {},
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1.0',
          ...(spec.containerPort !== undefined && {
            ports: [{ name: 'http', containerPort: spec.containerPort, protocol: 'TCP' }],
          }),
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      ...(spec.nodeName !== undefined && { nodeName: spec.nodeName }),
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: conditionStatus },
        { type: 'ContainersReady', status: conditionStatus },
        { type: 'PodScheduled', status: 'True' },
      ],
      ...(spec.ip !== undefined && { podIP: spec.ip, podIPs: [{ ip: spec.ip }] }),
      qosClass: 'BestEffort',
    },
  };
}

export interface NodeSpec {
  readonly name: string;
  /** `topology.kubernetes.io/region`. */
  readonly region?: string;
  /** `topology.kubernetes.io/zone`. */
  readonly zone?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly internalIP?: string;
}

export function k8sNode(spec: NodeSpec): KubeObject {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        ...(spec.region !== undefined && { 'topology.kubernetes.io/region': spec.region }),
        ...(spec.zone !== undefined && { 'topology.kubernetes.io/zone': spec.zone }),
        ...spec.labels,
      },
    },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      addresses: [
        ...(spec.internalIP !== undefined ? [{ type: 'InternalIP', address: spec.internalIP }] : []),
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion: 'v1.30.0', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

/** A stable ClusterIP in 10.96.0.0/16 for a service name, so tests need not invent one. */
function addressFor(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `10.96.${(hash >>> 8) % 256}.${(hash % 254) + 1}`;
}
