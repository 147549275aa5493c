import { Observable, type ConfigurationOptions, type RequestContext } from '@kubernetes/client-node';
import type { Labels } from '@sextant/core';
import type { ClusterState } from './cluster-state';
import type { KubeConnection } from './kube-connection';
import {
  projectEndpointSlice,
  projectNode,
  projectPod,
  projectService,
  type Keyed,
  type NodeView,
  type ServiceView,
  type SliceView,
} from './projections';
import type { ViewStore } from './view-store';

/** One chunk of a list. */
export interface ListChunk {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

export interface ListRequest {
  readonly namespace?: string;
  readonly limit: number;
  readonly continueToken?: string;
  readonly signal: AbortSignal;
}

/** One kind the adapter lists and watches: how to ask for it, and what to keep of it. */
export interface ResourceKind<V> {
  /** Plural resource name, as RBAC and the API name it (`virtualservices.networking.istio.io` outside the core groups). */
  readonly resource: string;
  readonly namespaced: boolean;
  /**
   * Ask for metadata only (PartialObjectMetadata, as client-go's metadata informers do): all the
   * adapter reads of pods and nodes is their labels, and their specs and statuses are most of
   * what a cluster would send.
   */
  readonly metadataOnly: boolean;
  list(connection: KubeConnection, request: ListRequest): Promise<ListChunk>;
  /** The collection's path, for watches. */
  path(namespace?: string): string;
  project(object: unknown): Keyed<V> | undefined;
}

/** A kind the cluster state is built from: it has a store there. */
export interface ClusterKind<V> extends ResourceKind<V> {
  store(state: ClusterState): ViewStore<V>;
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * Per-call options for client-node's API clients: the abort signal (so stopping the adapter stops
 * a list in flight), and for metadata-only kinds the Accept header that asks for it.
 */
export function callOptions(signal: AbortSignal, accept?: string): ConfigurationOptions {
  return {
    middleware: [
      {
        pre(context: RequestContext) {
          context.setSignal(signal);
          if (accept !== undefined) context.setHeaderParam('Accept', accept);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

interface ListResult {
  readonly items?: readonly unknown[];
  readonly metadata?: { readonly resourceVersion?: string; readonly _continue?: string };
}

export function chunk(list: ListResult): ListChunk {
  const continueToken = list.metadata?._continue;
  return {
    items: list.items ?? [],
    resourceVersion: list.metadata?.resourceVersion ?? '',
    ...(continueToken !== undefined && continueToken !== '' && { continueToken }),
  };
}

export function page(request: ListRequest) {
  return {
    limit: request.limit,
    ...(request.continueToken !== undefined && { _continue: request.continueToken }),
  };
}

export const SERVICES: ClusterKind<ServiceView> = {
  resource: 'services',
  namespaced: true,
  metadataOnly: false,
  async list(connection, request) {
    const options = callOptions(request.signal);
    const list =
      request.namespace === undefined
        ? await connection.core.listServiceForAllNamespaces(page(request), options)
        : await connection.core.listNamespacedService(
            { namespace: request.namespace, ...page(request) },
            options,
          );
    return chunk(list);
  },
  path: (namespace) =>
    namespace === undefined ? '/api/v1/services' : `/api/v1/namespaces/${namespace}/services`,
  project: projectService,
  store: (state) => state.services,
};

export const ENDPOINT_SLICES: ClusterKind<SliceView> = {
  resource: 'endpointslices',
  namespaced: true,
  metadataOnly: false,
  async list(connection, request) {
    const options = callOptions(request.signal);
    const list =
      request.namespace === undefined
        ? await connection.discovery.listEndpointSliceForAllNamespaces(page(request), options)
        : await connection.discovery.listNamespacedEndpointSlice(
            { namespace: request.namespace, ...page(request) },
            options,
          );
    return chunk(list);
  },
  path: (namespace) =>
    namespace === undefined
      ? '/apis/discovery.k8s.io/v1/endpointslices'
      : `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
  project: projectEndpointSlice,
  store: (state) => state.slices,
};

export const PODS: ClusterKind<Labels> = {
  resource: 'pods',
  namespaced: true,
  metadataOnly: true,
  async list(connection, request) {
    const options = callOptions(request.signal, METADATA_LIST);
    const list =
      request.namespace === undefined
        ? await connection.core.listPodForAllNamespaces(page(request), options)
        : await connection.core.listNamespacedPod(
            { namespace: request.namespace, ...page(request) },
            options,
          );
    return chunk(list);
  },
  path: (namespace) => (namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${namespace}/pods`),
  project: projectPod,
  store: (state) => state.pods,
};

export const NODES: ClusterKind<NodeView> = {
  resource: 'nodes',
  namespaced: false,
  metadataOnly: true,
  async list(connection, request) {
    return chunk(await connection.core.listNode(page(request), callOptions(request.signal, METADATA_LIST)));
  },
  path: () => '/api/v1/nodes',
  project: projectNode,
  store: (state) => state.nodes,
};
