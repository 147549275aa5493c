/**
 * Envoy v1 REST discovery bodies, as Envoy ≤1.8 validated them (../shared/spec/envoy-v1-rest.md).
 * Only the fields Sextant emits are typed; every object here is closed in Envoy's schema, so an
 * extra key would make Envoy discard the whole response.
 */

export interface SdsHost {
  readonly ip_address: string;
  readonly port: number;
  readonly tags?: {
    readonly az?: string;
    readonly canary?: boolean;
    readonly load_balancing_weight?: number;
  };
}

export interface SdsResponse {
  readonly hosts: readonly SdsHost[];
}

export interface V1CircuitBreakerThresholds {
  readonly max_connections?: number;
  readonly max_pending_requests?: number;
  readonly max_requests?: number;
  readonly max_retries?: number;
}

export interface V1OutlierDetection {
  readonly consecutive_5xx?: number;
  readonly consecutive_gateway_failure?: number;
  readonly enforcing_consecutive_gateway_failure?: number;
  readonly interval_ms?: number;
  readonly base_ejection_time_ms?: number;
  readonly max_ejection_percent?: number;
}

export interface V1Cluster {
  readonly name: string;
  readonly type: 'static' | 'strict_dns' | 'logical_dns' | 'sds' | 'original_dst';
  readonly connect_timeout_ms: number;
  readonly lb_type: 'round_robin' | 'least_request' | 'random' | 'ring_hash' | 'original_dst_lb';
  readonly service_name?: string;
  readonly hosts?: readonly { readonly url: string }[];
  readonly features?: 'http2';
  readonly max_requests_per_connection?: number;
  readonly circuit_breakers?: { readonly default: V1CircuitBreakerThresholds };
  readonly outlier_detection?: V1OutlierDetection;
  readonly ssl_context?: V1ClusterSslContext;
}

/** TLS to a cluster's hosts (Envoy v1 `ssl_context`): files on the proxy's host. */
export interface V1ClusterSslContext {
  readonly cert_chain_file?: string;
  readonly private_key_file?: string;
  readonly ca_cert_file?: string;
  /** The server certificate must carry one of these names (exact). */
  readonly verify_subject_alt_name?: readonly string[];
  readonly sni?: string;
}

/** TLS a listener terminates (Envoy v1 listener `ssl_context`). */
export interface V1ListenerSslContext {
  readonly cert_chain_file: string;
  readonly private_key_file: string;
  readonly ca_cert_file?: string;
  readonly require_client_certificate?: boolean;
}

export interface CdsResponse {
  readonly clusters: readonly V1Cluster[];
}

/** A v1 header matcher: `value` (a regex when `regex`), or presence without one. */
export interface V1HeaderMatcher {
  readonly name: string;
  readonly value?: string;
  readonly regex?: boolean;
}

/** A v1 route (Envoy ≤1.9 `route_config.virtual_hosts[].routes[]`), the fields Sextant writes. */
export interface V1Route {
  readonly prefix?: string;
  readonly path?: string;
  readonly regex?: string;
  readonly case_sensitive?: boolean;
  readonly headers?: readonly V1HeaderMatcher[];
  readonly cluster?: string;
  readonly weighted_clusters?: {
    readonly clusters: readonly { readonly name: string; readonly weight: number }[];
  };
  readonly host_redirect?: string;
  readonly path_redirect?: string;
  readonly prefix_rewrite?: string;
  readonly host_rewrite?: string;
  /** Always written: Envoy v1's default is 15 s, Sextant's 0 (none). */
  readonly timeout_ms?: number;
  readonly retry_policy?: {
    readonly retry_on: string;
    readonly num_retries?: number;
    readonly per_try_timeout_ms?: number;
  };
  readonly shadow?: { readonly cluster: string };
  readonly request_headers_to_add?: readonly { readonly key: string; readonly value: string }[];
  readonly cors?: {
    readonly allow_origin?: readonly string[];
    readonly allow_methods?: string;
    readonly allow_headers?: string;
    readonly expose_headers?: string;
    readonly max_age?: string;
    readonly allow_credentials?: boolean;
  };
  readonly decorator?: { readonly operation: string };
}

export interface V1VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly V1Route[];
}

export interface RouteConfiguration {
  readonly validate_clusters?: boolean;
  readonly virtual_hosts: readonly V1VirtualHost[];
}

export interface V1HttpFilter {
  readonly type: 'decoder' | 'encoder' | 'both';
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface HttpConnectionManagerConfig {
  readonly codec_type: 'auto' | 'http1' | 'http2';
  readonly stat_prefix: string;
  readonly generate_request_id?: boolean;
  readonly tracing?: { readonly operation_name: 'ingress' | 'egress' };
  readonly rds?: {
    readonly cluster: string;
    readonly route_config_name: string;
    readonly refresh_delay_ms: number;
  };
  readonly route_config?: RouteConfiguration;
  readonly filters: readonly V1HttpFilter[];
}

export interface TcpProxyConfig {
  readonly stat_prefix: string;
  readonly route_config: {
    readonly routes: readonly {
      readonly cluster: string;
      readonly destination_ip_list?: readonly string[];
    }[];
  };
}

export type V1NetworkFilter =
  | {
      readonly type: 'read';
      readonly name: 'http_connection_manager';
      readonly config: HttpConnectionManagerConfig;
    }
  | { readonly type: 'read'; readonly name: 'tcp_proxy'; readonly config: TcpProxyConfig };

export interface V1Listener {
  readonly name: string;
  readonly address: string;
  readonly filters: readonly V1NetworkFilter[];
  readonly bind_to_port?: boolean;
  readonly use_original_dst?: boolean;
  readonly ssl_context?: V1ListenerSslContext;
}

export interface LdsResponse {
  readonly listeners: readonly V1Listener[];
}
