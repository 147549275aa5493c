import type { InstanceInput, Labels, ServiceInput } from '@sextant/core';
import type { NodeView, ServiceView, SliceView } from './projections';
import { toInstances } from './to-instances';
import { toServiceInput } from './to-service-input';
import { ViewStore } from './view-store';

/** A service ready to report. */
export interface BuiltService {
  readonly service: ServiceInput;
  readonly instances: readonly InstanceInput[];
}

export interface ClusterIdentity {
  readonly clusterDomain: string;
  readonly clusterName: string;
}

/**
 * What the adapter knows of one cluster: the views of its Services, EndpointSlices, Pods and Nodes,
 * joined. Every change marks the Services it affects (by `<namespace>/<name>`) dirty, through
 * indexes from slices to their Service and from pods and nodes to the Services whose endpoints
 * name them, so one pod relabelled re-reports the services it backs and nothing else.
 */
export class ClusterState {
  readonly services = new ViewStore<ServiceView>((key) => this.dirty.add(key));
  readonly slices = new ViewStore<SliceView>((key, before, after) => {
    if (before) this.unlinkSlice(key, before);
    if (after) this.linkSlice(key, after);
  });
  readonly pods = new ViewStore<Labels>((key) => this.markUsers(this.podUsers, key));
  readonly nodes = new ViewStore<NodeView>((key) => this.markUsers(this.nodeUsers, key));

  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly podUsers = new RefIndex();
  private readonly nodeUsers = new RefIndex();
  private readonly dirty = new Set<string>();

  constructor(private readonly identity: ClusterIdentity) {}

  /** Services changed since the last call (by key), forgotten as they are returned. */
  takeDirty(): string[] {
    const keys = [...this.dirty];
    this.dirty.clear();
    return keys;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  serviceKeys(): string[] {
    return this.services.keys();
  }

  /** The service as the model sees it, or undefined when there is none to report (absent, ExternalName). */
  build(serviceKey: string): BuiltService | undefined {
    const view = this.services.get(serviceKey);
    if (!view) return undefined;
    const service = toServiceInput(view, this.identity.clusterDomain);
    if (!service) return undefined;
    const slices: SliceView[] = [];
    for (const sliceKey of this.slicesByService.get(serviceKey) ?? []) {
      const slice = this.slices.get(sliceKey);
      if (slice) slices.push(slice);
    }
    const instances = toInstances(view, slices, {
      pod: (key) => this.pods.get(key),
      node: (name) => this.nodes.get(name),
      clusterName: this.identity.clusterName,
    });
    return { service, instances };
  }

  /** ExternalName services known (skipped: they are DNS aliases, with no endpoints). */
  externalNameCount(): number {
    let count = 0;
    for (const key of this.services.keys()) if (this.services.get(key)?.type === 'ExternalName') count += 1;
    return count;
  }

  private linkSlice(sliceKey: string, slice: SliceView): void {
    const serviceKey = serviceKeyOf(slice);
    if (serviceKey === undefined) return;
    let keys = this.slicesByService.get(serviceKey);
    if (!keys) {
      keys = new Set();
      this.slicesByService.set(serviceKey, keys);
    }
    keys.add(sliceKey);
    for (const endpoint of slice.endpoints) {
      if (endpoint.pod !== undefined) this.podUsers.add(endpoint.pod, serviceKey);
      if (endpoint.nodeName !== undefined) this.nodeUsers.add(endpoint.nodeName, serviceKey);
    }
    this.dirty.add(serviceKey);
  }

  private unlinkSlice(sliceKey: string, slice: SliceView): void {
    const serviceKey = serviceKeyOf(slice);
    if (serviceKey === undefined) return;
    const keys = this.slicesByService.get(serviceKey);
    keys?.delete(sliceKey);
    if (keys?.size === 0) this.slicesByService.delete(serviceKey);
    for (const endpoint of slice.endpoints) {
      if (endpoint.pod !== undefined) this.podUsers.remove(endpoint.pod, serviceKey);
      if (endpoint.nodeName !== undefined) this.nodeUsers.remove(endpoint.nodeName, serviceKey);
    }
    this.dirty.add(serviceKey);
  }

  private markUsers(index: RefIndex, key: string): void {
    for (const serviceKey of index.users(key)) this.dirty.add(serviceKey);
  }
}

function serviceKeyOf(slice: SliceView): string | undefined {
  return slice.serviceName === undefined ? undefined : `${slice.namespace}/${slice.serviceName}`;
}

/** Which services use a pod or node, counted (one pod may back two slices of a service: IPv4 and IPv6). */
class RefIndex {
  private readonly refs = new Map<string, Map<string, number>>();

  add(key: string, user: string): void {
    let users = this.refs.get(key);
    if (!users) {
      users = new Map();
      this.refs.set(key, users);
    }
    users.set(user, (users.get(user) ?? 0) + 1);
  }

  remove(key: string, user: string): void {
    const users = this.refs.get(key);
    const count = users?.get(user);
    if (!users || count === undefined) return;
    if (count > 1) users.set(user, count - 1);
    else users.delete(user);
    if (users.size === 0) this.refs.delete(key);
  }

  users(key: string): Iterable<string> {
    return this.refs.get(key)?.keys() ?? [];
  }
}
