import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  envoyProtos,
  LISTENER_TYPE,
  ROUTE_TYPE,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  type EncodedResource,
  type ResourceTypeUrl,
} from '@sextant/envoy';
import type protobuf from 'protobufjs';
import { namesSpan, type RecentNameLists } from './name-lists';

/**
 * The gRPC side of the wire: the xDS services as grpc-js service definitions built from the
 * loaded descriptor, requests decoded the way the generated types describe them, and responses
 * assembled from resources encoded once (an envelope encoded per response, then each resource's
 * shared entry bytes appended: protobuf merges concatenated encodings).
 */

/**
 * A response as a gRPC length-prefixed message (a 5-byte prefix, then the message's bytes),
 * written as it is (writePreFramed): one response written to many streams is encoded, framed
 * and held once.
 */
export type EncodedResponse = Buffer;

/** The gRPC prefix of an uncompressed message: a zero flag byte, then its length (big-endian). */
const PREFIX_LENGTH = 5;

function framed(chunks: readonly Uint8Array[]): EncodedResponse {
  const length = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const prefix = Buffer.alloc(PREFIX_LENGTH);
  prefix.writeUInt32BE(length, 1);
  return Buffer.concat([prefix, ...chunks], PREFIX_LENGTH + length);
}

/** The message of a framed response: what grpc-js frames itself if writePreFramed could not apply. */
function messageOf(response: EncodedResponse): Buffer {
  return response.subarray(PREFIX_LENGTH);
}

/** Identifies Sextant to clients (Envoy shows it in its config dump). */
const CONTROL_PLANE = { identifier: 'sextant' };

export function sotwResponse(
  typeUrl: string,
  version: string,
  nonce: string,
  resources: Iterable<EncodedResource>,
): EncodedResponse {
  const type = envoyProtos().discoveryResponse;
  const envelope = type
    .encode({ version_info: version, type_url: typeUrl, nonce, control_plane: CONTROL_PLANE })
    .finish();
  const chunks: Uint8Array[] = [envelope];
  for (const resource of resources) chunks.push(resource.sotwEntry());
  return framed(chunks);
}

export function deltaResponse(
  typeUrl: string,
  systemVersion: string,
  nonce: string,
  resources: Iterable<EncodedResource>,
  removed: readonly string[],
): EncodedResponse {
  const type = envoyProtos().deltaDiscoveryResponse;
  const envelope = type
    .encode({
      system_version_info: systemVersion,
      type_url: typeUrl,
      nonce,
      removed_resources: removed,
      control_plane: CONTROL_PLANE,
    })
    .finish();
  const chunks: Uint8Array[] = [envelope];
  for (const resource of resources) chunks.push(resource.deltaEntry());
  return framed(chunks);
}

/** Decoded as the generated `…__Output` types describe: snake_case, enums and longs as strings, defaults. */
const DECODE_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/**
 * A request whose bytes are not a message of its type (malformed, or nested past protobufjs's
 * limit of 100 levels). Decoding never throws: grpc-js would answer a throwing deserializer with
 * INTERNAL, as if the fault were ours; the stream refuses this with INVALID_ARGUMENT instead.
 */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/**
 * Decodes SotW requests; names lists seen recently are recognised by their bytes and shared
 * (RecentNameLists), the rest of the message decoded as usual. The names are moved out before
 * decoding and put back as the same repeated field: the message decoded is the one sent.
 */
export function sotwRequestDecoder(
  lists: RecentNameLists,
): (bytes: Buffer) => DiscoveryRequest | UndecodableRequest {
  return (bytes) => {
    const type = envoyProtos().discoveryRequest;
    const span = namesSpan(bytes, (at) => lists.lengthAt(bytes, at));
    if (!span) return decode(type, bytes);
    const namesBytes = bytes.subarray(span.start, span.end);
    const rest = Buffer.concat([bytes.subarray(0, span.start), bytes.subarray(span.end)]);
    const request = decode<DiscoveryRequest>(type, rest);
    if (request instanceof UndecodableRequest) return request;
    let names = lists.find(namesBytes);
    if (!names) {
      const decoded = decode<DiscoveryRequest>(type, namesBytes);
      if (decoded instanceof UndecodableRequest) return decoded;
      names = lists.remember(namesBytes, decoded.resource_names);
    }
    // Shared by every request that sent these bytes, and frozen: read, never changed.
    request.resource_names = names as string[];
    return request;
  };
}

export function decodeDeltaDiscoveryRequest(bytes: Buffer): DeltaDiscoveryRequest | UndecodableRequest {
  return decode(envoyProtos().deltaDiscoveryRequest, bytes);
}

function decode<T>(type: protobuf.Type, bytes: Buffer): T | UndecodableRequest {
  try {
    return type.toObject(type.decode(bytes), DECODE_OPTIONS) as T;
  } catch (error) {
    return new UndecodableRequest(
      `the request is not a valid ${type.name}: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

/** A DiscoveryRequest from plain fields (a REST body parsed from JSON), normalised like a decoded one. */
export function normaliseDiscoveryRequest(fields: Record<string, unknown>): DiscoveryRequest {
  const type = envoyProtos().discoveryRequest;
  return type.toObject(type.fromObject(fields), DECODE_OPTIONS) as DiscoveryRequest;
}

export type Protocol = 'sotw' | 'delta';

/** What one gRPC method serves: every type over ADS, or one type. */
export interface XdsMethod {
  readonly service: string;
  readonly method: string;
  readonly protocol: Protocol;
  /** Undefined for ADS. */
  readonly typeUrl?: ResourceTypeUrl;
}

const PER_TYPE_SERVICES: readonly [string, string, ResourceTypeUrl][] = [
  ['envoy.service.cluster.v3.ClusterDiscoveryService', 'Clusters', CLUSTER_TYPE],
  ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'Endpoints', ENDPOINT_TYPE],
  ['envoy.service.listener.v3.ListenerDiscoveryService', 'Listeners', LISTENER_TYPE],
  ['envoy.service.route.v3.RouteDiscoveryService', 'Routes', ROUTE_TYPE],
];

/** Every streaming xDS method Sextant serves (the unary Fetch* methods are REST-JSON's job). */
export const XDS_METHODS: readonly XdsMethod[] = [
  {
    service: 'envoy.service.discovery.v3.AggregatedDiscoveryService',
    method: 'StreamAggregatedResources',
    protocol: 'sotw',
  },
  {
    service: 'envoy.service.discovery.v3.AggregatedDiscoveryService',
    method: 'DeltaAggregatedResources',
    protocol: 'delta',
  },
  ...PER_TYPE_SERVICES.flatMap(([service, noun, typeUrl]): XdsMethod[] => [
    { service, method: `Stream${noun}`, protocol: 'sotw', typeUrl },
    { service, method: `Delta${noun}`, protocol: 'delta', typeUrl },
  ]),
];

/**
 * The grpc-js definition of one service with the given methods. Envoy's descriptor is not read
 * here: loading it costs ~150 ms, which start-up leaves to the first request. That every method
 * exists in the descriptor as a bidirectional stream is checked by the tests (xds-methods.test.ts).
 */
export function serviceDefinition(
  service: string,
  methods: readonly XdsMethod[],
  names: RecentNameLists,
): ServiceDefinition {
  const decodeSotw = sotwRequestDecoder(names);
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const m of methods) {
    definition[m.method] = {
      path: `/${service}/${m.method}`,
      requestStream: true,
      responseStream: true,
      requestDeserialize: m.protocol === 'sotw' ? decodeSotw : decodeDeltaDiscoveryRequest,
      requestSerialize: unsupported,
      responseSerialize: messageOf,
      responseDeserialize: unsupported,
      originalName: m.method,
    };
  }
  return definition;
}

/** The client half of a definition: never used by a server. */
function unsupported(): never {
  throw new Error('client-side (de)serialisation is not provided by the xDS server');
}
