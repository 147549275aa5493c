import { parseProxyIdentity } from '@sextant/core';
import {
  CONFIG_SOURCE_KINDS,
  envoyProtos,
  messageName,
  parseMessage,
  printAnyBytes,
  Renderer,
  RESOURCE_TYPES,
  type EncodedResource,
} from '../src';
import { MONGO_PROXY, REVIEWS_V1_PROXY, ROUTER_PROXY, testMesh } from './mesh';
import { pgvViolations } from './v3-pgv';

const mesh = testMesh();
const proxies = [
  REVIEWS_V1_PROXY,
  MONGO_PROXY,
  ROUTER_PROXY,
  'ingress~10.0.9.8~in~default.svc.cluster.local',
  'grpc-client-1',
].map(parseProxyIdentity);

/** Every resource any proxy can get: every wildcard set for every kind, plus what is only asked for by name. */
function everyResource(): EncodedResource[] {
  const renderer = new Renderer({ keepRendered: true });
  const all = new Map<string, EncodedResource>();
  for (const proxy of proxies) {
    for (const kind of CONFIG_SOURCE_KINDS) {
      for (const typeUrl of RESOURCE_TYPES) {
        const set = renderer.v3.resourceSet(mesh, typeUrl, { proxy, kind });
        for (const r of set.wildcard().resources()) all.set(`${typeUrl} ${kind} ${proxy.raw} ${r.name}`, r);
        for (const name of [
          'reviews.default.svc.cluster.local:9080',
          'reviews.default.svc.cluster.local',
          'ratings.default.svc.cluster.local:9090',
          'web.service.dc1.consul',
          'reviews.default.svc.cluster.local|http|version=v2',
        ]) {
          const named = set.get(name);
          if (named) all.set(`${typeUrl} ${kind} ${proxy.raw} ${name}`, named);
        }
      }
    }
  }
  return [...all.values()];
}

const resources = everyResource();

function rendered(resource: EncodedResource): object {
  if (!resource.rendered) throw new Error(`${resource.name} was encoded without keeping what was rendered`);
  return resource.rendered;
}

/** Every `@type` an object names, at any depth. */
function typeUrls(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => typeUrls(v, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '@type' && typeof v === 'string') found.add(v);
      else typeUrls(v, found);
    }
  }
  return found;
}

describe('v3 resources on the wire', () => {
  it('cover every type, for sidecars, gateways and proxyless clients', () => {
    const types = new Set(resources.map((r) => r.typeUrl));
    expect([...types].sort()).toEqual([...RESOURCE_TYPES].sort());
    expect(resources.length).toBeGreaterThan(40);
  });

  it('have only fields their messages define, and pass the protoc-gen-validate rules Envoy applies', () => {
    const problems = resources.flatMap((r) =>
      pgvViolations(messageName(r.typeUrl), rendered(r)).map((p) => `${r.name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('(the rule checks themselves catch what Envoy would reject)', () => {
    expect(
      pgvViolations('envoy.config.cluster.v3.Cluster', {
        name: '',
        type: 'EDS',
        connect_timeout: { seconds: 0 },
        lb_polcy: 'ROUND_ROBIN',
        typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/not.Loaded' } },
      }),
    ).toEqual([
      'lb_polcy: .envoy.config.cluster.v3.Cluster has no field "lb_polcy"',
      'name: shorter than 1',
      'connect_timeout: must be longer than 0s',
      'typed_extension_protocol_options.x: unknown @type type.googleapis.com/not.Loaded',
    ]);
    expect(
      pgvViolations('envoy.config.route.v3.VirtualHost', {
        name: 'v',
        domains: [],
        routes: [{ match: { prefix: '/' } }],
      }),
    ).toEqual([
      'domains: needs at least 1 items',
      'routes[0]: one of route, redirect, direct_response, filter_action, non_forwarding_action is required',
    ]);
  });

  it('name in every @type a message the loaded descriptor holds (else it would encode as an empty Any)', () => {
    const root = envoyProtos().root;
    const missing = resources.flatMap((r) =>
      [...typeUrls(rendered(r))].filter((url) => root.lookup(messageName(url)) === null),
    );
    expect(missing).toEqual([]);
    // And the encoding carries each of them, with content.
    for (const r of resources) {
      const printed = JSON.stringify(printAnyBytes(root, r.anyBytes()));
      for (const url of typeUrls(rendered(r))) expect(printed).toContain(`"@type":"${url}"`);
    }
  });

  it('round-trip through proto3 JSON (as REST-JSON serves them) to the same message', () => {
    const root = envoyProtos().root;
    const any = envoyProtos().any;
    for (const r of resources) {
      const json = printAnyBytes(root, r.anyBytes());
      const reparsed = any.encode(any.fromObject(parseMessage(any, json))).finish();
      // Equal up to explicitly encoded defaults, which the JSON mapping leaves out.
      expect(printAnyBytes(root, reparsed)).toEqual(json);
    }
  });

  it('decode to what was rendered', () => {
    for (const r of resources.slice(0, 20)) {
      const type = envoyProtos().messageType(r.typeUrl);
      const options = { enums: String, longs: String, json: true };
      expect(type.toObject(type.decode(r.bytes), options)).toEqual(
        type.toObject(type.fromObject(rendered(r)), options),
      );
    }
  });
});
