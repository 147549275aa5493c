import { showValue } from '../../schema/show-value';
import type { HttpRoute, TcpRoute, VirtualServiceRule } from '../model';
import { checkedHost } from './destination';
import { Fields } from './fields';
import { readHttpRoute } from './http-route';
import { hostsOverlap, isDns1123Label, isDns1123Subdomain } from './names';
import type { RuleContext } from './rule-context';
import { readTcpRoute } from './tcp-route';

const VIRTUAL_SERVICE = {
  known: ['hosts', 'gateways', 'http', 'tcp'],
  unsupported: {
    tls: 'TLS (SNI) routes are not supported: route TLS traffic with tcp',
    exportTo: 'exportTo is not supported: rules apply to clients in every namespace',
  },
} as const;

/** The gateway name that stands for every sidecar and proxyless client. */
export const MESH_GATEWAY = 'mesh';

/** A VirtualService's spec. */
export function readVirtualService(ctx: RuleContext, spec: unknown): VirtualServiceRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], VIRTUAL_SERVICE);
  if (!fields) return undefined;
  const gateways = readGateways(fields);
  const boundToMesh = gateways.length === 0 || gateways.includes(MESH_GATEWAY);
  const hosts = readHosts(fields, boundToMesh);
  const http: HttpRoute[] = [];
  for (const item of fields.list('http')) {
    const route = readHttpRoute(ctx, item.value, item.path);
    if (route) http.push(route);
  }
  const tcp: TcpRoute[] = [];
  for (const item of fields.list('tcp')) {
    const route = readTcpRoute(ctx, item.value, item.path);
    if (route) tcp.push(route);
  }
  const given = ['http', 'tcp'].filter((field) => fields.has(field));
  if (given.every((field) => fields.isEmptyList(field))) {
    ctx.error(fields.path, 'missing-field', 'a VirtualService needs http or tcp routes');
  }
  return {
    kind: 'VirtualService',
    identity: ctx.identity,
    hosts,
    gateways,
    http,
    tcp,
    appendDefaultRoute: false,
    language: 'istio',
  };
}

/** `hosts`: required, resolved, no two overlapping (`*.example.com` and `api.example.com` do). */
function readHosts(fields: Fields, boundToMesh: boolean): string[] {
  const ctx = fields.ctx;
  if (!fields.require('hosts')) return [];
  const items = fields.strings('hosts');
  if (fields.isEmptyList('hosts')) {
    ctx.error(
      fields.at('hosts'),
      'missing-field',
      'a VirtualService needs at least one host (delegate VirtualServices are not supported)',
    );
  }
  const hosts: string[] = [];
  for (const item of items) {
    if (item.value === '*' && boundToMesh) {
      ctx.error(
        item.path,
        'invalid-host',
        'wildcard host * is not allowed for virtual services bound to the mesh gateway',
      );
      continue;
    }
    const host = checkedHost(ctx, item.value, item.path, { star: 'allowed', ip: 'allowed' });
    if (host === undefined) continue;
    const earlier = hosts.find((other) => hostsOverlap(other, host));
    if (earlier) {
      ctx.error(item.path, 'duplicate-host', `duplicate hosts in virtual service: ${earlier} & ${host}`);
      continue;
    }
    hosts.push(host);
  }
  return hosts;
}

/** `gateways`: `mesh`, or gateway names `[namespace/]name`, kept as written. */
function readGateways(fields: Fields): string[] {
  const gateways: string[] = [];
  for (const item of fields.strings('gateways')) {
    const slash = item.value.indexOf('/');
    const valid =
      item.value === MESH_GATEWAY ||
      (slash === -1
        ? isDns1123Subdomain(item.value)
        : isDns1123Label(item.value.slice(0, slash)) && isDns1123Subdomain(item.value.slice(slash + 1)));
    if (valid) gateways.push(item.value);
    else
      fields.ctx.error(
        item.path,
        'invalid-name',
        `${showValue(item.value)} is not a gateway name ("mesh" or [namespace/]name)`,
      );
  }
  return gateways;
}
