/**
 * Envoy's v3 message shapes, as proto-loader generates them from the same protos the descriptor
 * is built from (grpc-js-xds ships them). Inputs (`Cluster`) are what renderers build for
 * protobufjs `fromObject`; outputs (`…__Output`) are decoded requests (keepCase, longs and enums
 * as strings, defaults, oneofs), which is how the servers decode them.
 */
export type { Cluster } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/cluster/v3/Cluster';
export type { ClusterLoadAssignment } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment';
export type { LocalityLbEndpoints } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/LocalityLbEndpoints';
export type { LbEndpoint } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/LbEndpoint';
export type { Listener } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/listener/v3/Listener';
export type { Filter } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/listener/v3/Filter';
export type { RouteConfiguration } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/RouteConfiguration';
export type { VirtualHost } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/VirtualHost';
export type { Route } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/Route';
export type { HttpConnectionManager } from '@grpc/grpc-js-xds/build/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager';
export type { ConfigSource } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/ConfigSource';
export type { Address } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/Address';
export type { Any } from '@grpc/grpc-js-xds/build/src/generated/google/protobuf/Any';
export type { Node__Output as Node } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/Node';
export type { DiscoveryRequest__Output as DiscoveryRequest } from '@grpc/grpc-js-xds/build/src/generated/envoy/service/discovery/v3/DiscoveryRequest';
export type { DeltaDiscoveryRequest__Output as DeltaDiscoveryRequest } from '@grpc/grpc-js-xds/build/src/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest';
