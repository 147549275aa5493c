import { type Problems, SimulationError } from './errors';
import { HTTP_FAULT_TYPE, parseHttpFault } from './fault';
import type { FaultFilter } from './http-filters';
import {
  anyTypeName,
  arrayField,
  asObject,
  boolField,
  durationField,
  field,
  objectField,
  oneofMember,
  stringField,
  type JsonObject,
} from './proto-fields';

export type GrpcClient = 'grpc-js' | 'grpc-core';

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const TYPED_STRUCT_TYPES = ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'];

/** What a gRPC client takes from the api_listener it dialled. */
export interface GrpcListener {
  readonly routeConfiguration: JsonObject;
  /** Fault filters before the router, with their top-level configs. */
  readonly faultFilters: readonly FaultFilter[];
  /** The timeout of routes without max_stream_duration (0 or undefined: the application's deadline). */
  readonly defaultTimeoutMs?: number;
}

/**
 * The HttpConnectionManager of a client api_listener, checked as the gRPC clients check it
 * (grpc-js-xds `validateHttpConnectionManager`, gRFC A39): it must be an HttpConnectionManager; no
 * two HTTP filters may share a name; every filter must be of a type the client runs on its side —
 * the router and the fault filter — unless `is_optional`; the router must be last (C-core also
 * requires at least one filter). Routes come inline (`route_config`) or, for `rds`, from
 * `routeConfiguration` (the RDS resource the client would fetch), with an ADS or self config source.
 */
export function readGrpcListener(
  listener: JsonObject,
  client: GrpcClient,
  routeConfiguration: unknown,
  problems: Problems,
): GrpcListener | undefined {
  const apiListener = objectField(
    objectField(listener, 'api_listener', 'listener') ?? {},
    'api_listener',
    'listener.api_listener',
  );
  if (!apiListener)
    throw new SimulationError(
      'listener.api_listener.api_listener',
      'expected an api_listener (a client listener)',
    );
  const hcmPath = 'listener.api_listener.api_listener';
  if (anyTypeName(apiListener, hcmPath) !== HCM_TYPE) {
    problems.add(hcmPath, 'the api_listener is not an HttpConnectionManager');
    return undefined;
  }
  const faultFilters = httpFilters(apiListener, client, hcmPath, problems);
  const source = oneofMember(apiListener, ['route_config', 'rds', 'scoped_routes'] as const);
  let routes: JsonObject | undefined;
  if (source === 'route_config') {
    routes = asObject(field(apiListener, 'route_config'), `${hcmPath}.route_config`);
  } else if (source === 'rds') {
    const configSource =
      objectField(objectField(apiListener, 'rds', hcmPath) ?? {}, 'config_source', `${hcmPath}.rds`) ?? {};
    if (field(configSource, 'ads') === undefined && field(configSource, 'self') === undefined) {
      problems.add(`${hcmPath}.rds.config_source`, 'neither ads nor self');
    }
    if (routeConfiguration === undefined) {
      throw new SimulationError(
        `${hcmPath}.rds`,
        'the listener names its routes through RDS: pass the RouteConfiguration as options.routeConfiguration',
      );
    }
    routes = asObject(routeConfiguration, 'route_configuration');
  } else {
    problems.add(hcmPath, 'routes must be given by route_config or rds');
  }
  const common = objectField(apiListener, 'common_http_protocol_options', hcmPath) ?? {};
  // grpc-js-xds 1.14.1 (resolver-xds.ts) takes idle_timeout here; gRFC A31 and C-core max_stream_duration.
  const defaultTimeoutMs = durationField(
    common,
    client === 'grpc-js' ? 'idle_timeout' : 'max_stream_duration',
    `${hcmPath}.common_http_protocol_options`,
  );
  if (!routes) return undefined;
  return { routeConfiguration: routes, faultFilters, ...(defaultTimeoutMs ? { defaultTimeoutMs } : {}) };
}

function httpFilters(
  hcm: JsonObject,
  client: GrpcClient,
  hcmPath: string,
  problems: Problems,
): FaultFilter[] {
  const list = arrayField(hcm, 'http_filters', hcmPath);
  if (list.length === 0 && client === 'grpc-core')
    problems.add(`${hcmPath}.http_filters`, 'needs at least one HTTP filter (the router)');
  const names = new Set<string>();
  const faults: FaultFilter[] = [];
  list.forEach((item, index) => {
    const filterPath = `${hcmPath}.http_filters[${index}]`;
    const filter = asObject(item, filterPath);
    const name = stringField(filter, 'name', filterPath) ?? '';
    if (names.has(name)) problems.add(filterPath, `duplicate HTTP filter name ${name}`);
    names.add(name);
    const typedConfig = field(filter, 'typed_config');
    if (typedConfig === undefined) {
      problems.add(filterPath, 'no typed_config');
      return;
    }
    const type = anyTypeName(typedConfig, `${filterPath}.typed_config`);
    const isLast = index === list.length - 1;
    if (type === ROUTER_TYPE) {
      if (!isLast) problems.add(filterPath, 'the router filter is not the last HTTP filter');
      return;
    }
    if (isLast) problems.add(filterPath, `the last HTTP filter is ${type}, not the router`);
    if (TYPED_STRUCT_TYPES.includes(type))
      throw new SimulationError(`${filterPath}.typed_config`, 'TypedStruct filter configs are not simulated');
    if (type === HTTP_FAULT_TYPE) {
      const config = parseHttpFault(
        asObject(typedConfig, `${filterPath}.typed_config`),
        'grpc',
        `${filterPath}.typed_config`,
        problems,
      );
      faults.push({ name, config, disabled: false });
    } else if (boolField(filter, 'is_optional', filterPath) !== true) {
      problems.add(filterPath, `${client} has no client filter for ${type}`);
    }
  });
  return faults;
}
