/**
 * JSON Schemas (draft-07) of Envoy's v1 REST discovery responses, written from
 * ../shared/spec/envoy-v1-rest.md (Envoy 1.5 schema, with 1.4's stricter cluster names).
 * Objects Envoy closed are closed here: one unexpected key makes Envoy drop a whole response.
 * Rules Envoy enforced in code rather than schema are in code-checks.ts.
 */
const posInt = { type: 'integer', minimum: 1 };
const percent = { type: 'integer', minimum: 0, maximum: 100 };
const stringArray = { type: 'array', items: { type: 'string' } };
const headerValueList = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['key', 'value'],
    properties: { key: { type: 'string' }, value: { type: 'string' } },
  },
};

export const sdsSchema = {
  $id: 'envoy-v1-sds',
  type: 'object',
  required: ['hosts'],
  properties: {
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['ip_address', 'port'],
        properties: {
          ip_address: { type: 'string', format: 'ip' },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
          tags: {
            type: 'object',
            properties: {
              az: { type: 'string' },
              canary: { type: 'boolean' },
              load_balancing_weight: { type: 'integer', minimum: 1, maximum: 100 },
            },
          },
        },
      },
    },
  },
};

const circuitBreakerThresholds = {
  type: 'object',
  additionalProperties: false,
  properties: {
    max_connections: { type: 'integer' },
    max_pending_requests: { type: 'integer' },
    max_requests: { type: 'integer' },
    max_retries: { type: 'integer' },
  },
};

const cluster = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'connect_timeout_ms', 'lb_type'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^:]+$' },
    type: { enum: ['static', 'strict_dns', 'logical_dns', 'sds', 'original_dst'] },
    connect_timeout_ms: posInt,
    lb_type: { enum: ['round_robin', 'least_request', 'random', 'ring_hash', 'original_dst_lb'] },
    hosts: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: { url: { type: 'string' } },
      },
    },
    service_name: { type: 'string' },
    health_check: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'timeout_ms', 'interval_ms', 'unhealthy_threshold', 'healthy_threshold'],
      properties: {
        type: { enum: ['http', 'redis', 'tcp'] },
        timeout_ms: posInt,
        interval_ms: posInt,
        interval_jitter_ms: posInt,
        unhealthy_threshold: posInt,
        healthy_threshold: posInt,
        path: { type: 'string' },
        send: {
          type: 'array',
          items: { type: 'object', required: ['binary'], properties: { binary: { type: 'string' } } },
        },
        receive: {
          type: 'array',
          items: { type: 'object', required: ['binary'], properties: { binary: { type: 'string' } } },
        },
        reuse_connection: { type: 'boolean' },
        service_name: { type: 'string' },
      },
    },
    max_requests_per_connection: posInt,
    circuit_breakers: {
      type: 'object',
      additionalProperties: false,
      properties: { default: circuitBreakerThresholds, high: circuitBreakerThresholds },
    },
    ssl_context: {
      type: 'object',
      additionalProperties: false,
      properties: {
        alpn_protocols: { type: 'string' },
        cert_chain_file: { type: 'string' },
        private_key_file: { type: 'string' },
        ca_cert_file: { type: 'string' },
        verify_certificate_hash: { type: 'string' },
        verify_subject_alt_name: stringArray,
        cipher_suites: { type: 'string', minLength: 1 },
        ecdh_curves: { type: 'string', minLength: 1 },
        sni: { type: 'string' },
      },
    },
    features: { enum: ['http2'] },
    http2_settings: { type: 'object' },
    per_connection_buffer_limit_bytes: posInt,
    dns_refresh_rate_ms: posInt,
    dns_lookup_family: { enum: ['v4_only', 'v6_only', 'auto'] },
    dns_resolvers: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
    cleanup_interval_ms: posInt,
    outlier_detection: {
      type: 'object',
      additionalProperties: false,
      properties: {
        consecutive_5xx: posInt,
        consecutive_gateway_failure: posInt,
        interval_ms: posInt,
        base_ejection_time_ms: posInt,
        success_rate_minimum_hosts: posInt,
        success_rate_request_volume: posInt,
        success_rate_stdev_factor: posInt,
        max_ejection_percent: percent,
        enforcing_consecutive_5xx: percent,
        enforcing_success_rate: percent,
        enforcing_consecutive_gateway_failure: percent,
      },
    },
    ring_hash_lb_config: {
      type: 'object',
      additionalProperties: false,
      properties: { minimum_ring_size: { type: 'integer', minimum: 0 }, use_std_hash: { type: 'boolean' } },
    },
  },
  allOf: [
    // hosts: required for static and DNS clusters, forbidden for original_dst (Envoy checked in code).
    {
      if: { properties: { type: { enum: ['static', 'strict_dns', 'logical_dns'] } } },
      then: { required: ['hosts'] },
    },
    { if: { properties: { type: { const: 'original_dst' } } }, then: { not: { required: ['hosts'] } } },
    { if: { properties: { type: { const: 'sds' } } }, then: { required: ['service_name'] } },
    // original_dst_lb if and only if original_dst.
    {
      if: { properties: { type: { const: 'original_dst' } } },
      then: { properties: { lb_type: { const: 'original_dst_lb' } } },
      else: { properties: { lb_type: { not: { const: 'original_dst_lb' } } } },
    },
  ],
};

export const cdsSchema = {
  $id: 'envoy-v1-cds',
  type: 'object',
  additionalProperties: false,
  required: ['clusters'],
  properties: { clusters: { type: 'array', items: cluster } },
};

const route = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prefix: { type: 'string' },
    path: { type: 'string' },
    regex: { type: 'string' },
    case_sensitive: { type: 'boolean' },
    headers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, value: { type: 'string' }, regex: { type: 'boolean' } },
      },
    },
    runtime: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'default'],
      properties: { key: { type: 'string' }, default: percent },
    },
    cluster: { type: 'string' },
    cluster_header: { type: 'string' },
    weighted_clusters: {
      type: 'object',
      additionalProperties: false,
      required: ['clusters'],
      properties: {
        clusters: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'weight'],
            properties: { name: { type: 'string' }, weight: percent },
          },
        },
        runtime_key_prefix: { type: 'string' },
      },
    },
    host_redirect: { type: 'string' },
    path_redirect: { type: 'string' },
    prefix_rewrite: { type: 'string' },
    host_rewrite: { type: 'string' },
    auto_host_rewrite: { type: 'boolean' },
    use_websocket: { type: 'boolean' },
    timeout_ms: { type: 'integer', minimum: 0 },
    retry_policy: {
      type: 'object',
      additionalProperties: false,
      required: ['retry_on'],
      properties: {
        retry_on: { type: 'string' },
        num_retries: { type: 'integer' },
        per_try_timeout_ms: posInt,
      },
    },
    shadow: {
      type: 'object',
      additionalProperties: false,
      required: ['cluster'],
      properties: { cluster: { type: 'string' }, runtime_key: { type: 'string' } },
    },
    priority: { enum: ['default', 'high'] },
    rate_limits: { type: 'array' },
    include_vh_rate_limits: { type: 'boolean' },
    hash_policy: {
      type: 'object',
      additionalProperties: false,
      required: ['header_name'],
      properties: { header_name: { type: 'string' } },
    },
    request_headers_to_add: headerValueList,
    opaque_config: { type: 'object', additionalProperties: { type: 'string' } },
    decorator: {
      type: 'object',
      additionalProperties: false,
      required: ['operation'],
      properties: { operation: { type: 'string' } },
    },
    cors: { type: 'object' },
  },
  allOf: [
    // Exactly one match kind.
    { oneOf: [{ required: ['prefix'] }, { required: ['path'] }, { required: ['regex'] }] },
    // A redirect, or exactly one forwarding target.
    {
      oneOf: [
        {
          anyOf: [{ required: ['host_redirect'] }, { required: ['path_redirect'] }],
          not: { required: ['use_websocket'] },
        },
        {
          required: ['cluster'],
          not: { anyOf: [{ required: ['cluster_header'] }, { required: ['weighted_clusters'] }] },
        },
        {
          required: ['cluster_header'],
          not: { anyOf: [{ required: ['cluster'] }, { required: ['weighted_clusters'] }] },
        },
        {
          required: ['weighted_clusters'],
          not: { anyOf: [{ required: ['cluster'] }, { required: ['cluster_header'] }] },
        },
      ],
    },
    { not: { required: ['host_rewrite', 'auto_host_rewrite'] } },
  ],
};

const virtualHost = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'domains', 'routes'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 60 },
    domains: { type: 'array', items: { type: 'string' } },
    routes: { type: 'array', items: route },
    require_ssl: { enum: ['all', 'external_only'] },
    virtual_clusters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['pattern', 'name'],
        properties: { pattern: { type: 'string' }, name: { type: 'string' }, method: { type: 'string' } },
      },
    },
    rate_limits: { type: 'array' },
    request_headers_to_add: headerValueList,
    cors: { type: 'object' },
  },
};

export const rdsSchema = {
  $id: 'envoy-v1-rds',
  type: 'object',
  additionalProperties: false,
  required: ['virtual_hosts'],
  properties: {
    virtual_hosts: { type: 'array', items: virtualHost },
    validate_clusters: { type: 'boolean' },
    internal_only_headers: stringArray,
    response_headers_to_remove: stringArray,
    response_headers_to_add: headerValueList,
    request_headers_to_add: headerValueList,
  },
};

const httpFilter = {
  type: 'object',
  additionalProperties: false,
  // `type` was required up to Envoy 1.4.
  required: ['type', 'name', 'config'],
  properties: {
    type: { enum: ['encoder', 'decoder', 'both'] },
    name: { type: 'string' },
    config: { type: 'object' },
  },
  allOf: [
    {
      // The v1 fault filter (spec: traffic-rules §3.3, Envoy 1.5 api-v1 http_filters/fault_filter).
      if: { properties: { name: { const: 'fault' } } },
      then: {
        properties: {
          type: { const: 'decoder' },
          config: {
            type: 'object',
            additionalProperties: false,
            anyOf: [{ required: ['abort'] }, { required: ['delay'] }],
            properties: {
              abort: {
                type: 'object',
                additionalProperties: false,
                required: ['abort_percent', 'http_status'],
                properties: {
                  abort_percent: { type: 'integer', minimum: 0, maximum: 100 },
                  http_status: { type: 'integer', minimum: 200, maximum: 599 },
                },
              },
              delay: {
                type: 'object',
                additionalProperties: false,
                required: ['type', 'fixed_delay_percent', 'fixed_duration_ms'],
                properties: {
                  type: { const: 'fixed' },
                  fixed_delay_percent: { type: 'integer', minimum: 0, maximum: 100 },
                  fixed_duration_ms: { type: 'integer', minimum: 1 },
                },
              },
              upstream_cluster: { type: 'string' },
              headers: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name'],
                  properties: {
                    name: { type: 'string' },
                    value: { type: 'string' },
                    regex: { type: 'boolean' },
                  },
                },
              },
              downstream_nodes: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    {
      if: { properties: { name: { const: 'router' } } },
      then: {
        properties: {
          config: {
            type: 'object',
            additionalProperties: false,
            properties: { dynamic_stats: { type: 'boolean' }, start_child_span: { type: 'boolean' } },
          },
        },
      },
    },
  ],
};

const httpConnectionManager = {
  type: 'object',
  additionalProperties: false,
  required: ['codec_type', 'stat_prefix', 'filters'],
  properties: {
    codec_type: { enum: ['http1', 'http2', 'auto'] },
    stat_prefix: { type: 'string' },
    rds: {
      type: 'object',
      additionalProperties: false,
      required: ['cluster', 'route_config_name'],
      properties: {
        cluster: { type: 'string' },
        route_config_name: { type: 'string', minLength: 1, maxLength: 60 },
        refresh_delay_ms: posInt,
        api_type: { enum: ['REST_LEGACY', 'REST', 'GRPC'] },
      },
    },
    route_config: rdsSchema,
    filters: { type: 'array', minItems: 1, items: httpFilter },
    add_user_agent: { type: 'boolean' },
    tracing: {
      type: 'object',
      additionalProperties: false,
      required: ['operation_name'],
      properties: { operation_name: { enum: ['ingress', 'egress'] }, request_headers_for_tags: stringArray },
    },
    http1_settings: { type: 'object' },
    http2_settings: { type: 'object' },
    server_name: { type: 'string' },
    idle_timeout_s: { type: 'integer' },
    drain_timeout_ms: { type: 'integer' },
    access_log: { type: 'array' },
    use_remote_address: { type: 'boolean' },
    forward_client_cert: {
      enum: ['sanitize', 'forward_only', 'append_forward', 'sanitize_set', 'always_forward_only'],
    },
    set_current_client_cert_details: stringArray,
    generate_request_id: { type: 'boolean' },
  },
  oneOf: [{ required: ['rds'] }, { required: ['route_config'] }],
};

const tcpProxy = {
  type: 'object',
  additionalProperties: false,
  required: ['stat_prefix', 'route_config'],
  properties: {
    stat_prefix: { type: 'string' },
    route_config: {
      type: 'object',
      additionalProperties: false,
      required: ['routes'],
      properties: {
        routes: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['cluster'],
            properties: {
              cluster: { type: 'string' },
              destination_ip_list: stringArray,
              destination_ports: { type: 'string' },
              source_ip_list: stringArray,
              source_ports: { type: 'string' },
            },
          },
        },
      },
    },
    access_log: { type: 'array' },
  },
};

const networkFilter = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name', 'config'],
  properties: {
    type: { enum: ['read', 'write', 'both'] },
    name: { type: 'string' },
    config: { type: 'object' },
  },
  allOf: [
    {
      if: { properties: { name: { enum: ['http_connection_manager', 'envoy.http_connection_manager'] } } },
      then: { properties: { config: httpConnectionManager } },
    },
    {
      if: { properties: { name: { enum: ['tcp_proxy', 'envoy.tcp_proxy'] } } },
      then: { properties: { config: tcpProxy } },
    },
  ],
};

export const ldsSchema = {
  $id: 'envoy-v1-lds',
  type: 'object',
  additionalProperties: false,
  required: ['listeners'],
  properties: {
    listeners: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address', 'filters'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 60 },
          address: { type: 'string', pattern: '^tcp://' },
          filters: { type: 'array', items: networkFilter },
          // Envoy v1's LISTENER_SSL_CONTEXT_SCHEMA.
          ssl_context: {
            type: 'object',
            additionalProperties: false,
            required: ['cert_chain_file', 'private_key_file'],
            properties: {
              alpn_protocols: { type: 'string' },
              alt_alpn_protocols: { type: 'string' },
              cert_chain_file: { type: 'string' },
              private_key_file: { type: 'string' },
              ca_cert_file: { type: 'string' },
              verify_certificate_hash: { type: 'string' },
              verify_subject_alt_name: { type: 'array', items: { type: 'string' } },
              require_client_certificate: { type: 'boolean' },
              cipher_suites: { type: 'string', minLength: 1 },
              ecdh_curves: { type: 'string', minLength: 1 },
              session_ticket_key_paths: { type: 'array', minItems: 1, items: { type: 'string' } },
            },
          },
          bind_to_port: { type: 'boolean' },
          use_original_dst: { type: 'boolean' },
          use_proxy_proto: { type: 'boolean' },
          per_connection_buffer_limit_bytes: posInt,
          drain_type: { enum: ['default', 'modify_only'] },
        },
      },
    },
  },
};
