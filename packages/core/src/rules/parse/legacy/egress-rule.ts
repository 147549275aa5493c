import { showValue } from '../../../schema/show-value';
import type { ServiceEntryPort, ServiceEntryRule } from '../../model';
import { isCidr } from '../addresses';
import { checkedHost } from '../destination';
import { Fields } from '../fields';
import { SHORT_NAME_SUFFIX } from '../names';
import type { RuleContext } from '../rule-context';

const EGRESS_RULE = {
  known: ['destination', 'ports'],
  unsupported: { useEgressProxy: 'useEgressProxy is not implemented (the Rules API refused it too)' },
} as const;
const EGRESS_DESTINATION = { known: ['service'] } as const;
const EGRESS_PORT = { known: ['port', 'protocol'] } as const;

/** The protocols an EgressRule allows for a domain, and (with the TCP family) for a CIDR block. */
const DOMAIN_PROTOCOLS: Readonly<Record<string, ServiceEntryPort['protocol']>> = {
  HTTP: 'http',
  HTTPS: 'tcp',
  HTTP2: 'http2',
  GRPC: 'grpc',
};
const CIDR_PROTOCOLS: Readonly<Record<string, ServiceEntryPort['protocol']>> = {
  ...DOMAIN_PROTOCOLS,
  TCP: 'tcp',
  MONGO: 'tcp',
  REDIS: 'tcp',
  MYSQL: 'tcp',
};

/**
 * A legacy EgressRule as the ServiceEntry istioctl made of it: its domain (`*.example.com`) as
 * the host, or a CIDR block as the address of a host named after the rule; ports named
 * `<protocol>-<port>`; resolution NONE (traffic passes through to where it was sent).
 */
export function readEgressRule(ctx: RuleContext, spec: unknown): ServiceEntryRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], EGRESS_RULE);
  if (!fields) return undefined;
  const destination = fields.message('destination', EGRESS_DESTINATION, { required: true });
  const service = destination?.string('service', { required: true, nonEmpty: true });
  const cidr = service !== undefined && isCidr(service);
  const host =
    service === undefined
      ? undefined
      : cidr
        ? `${ctx.identity.name}.${ctx.namespace}.${SHORT_NAME_SUFFIX}`
        : destination && checkedHost(ctx, service, destination.at('service'), { star: 'refused' });
  const protocols = cidr ? CIDR_PROTOCOLS : DOMAIN_PROTOCOLS;
  const ports: ServiceEntryPort[] = [];
  if (fields.require('ports') && fields.isEmptyList('ports')) {
    ctx.error(fields.at('ports'), 'missing-field', 'an EgressRule needs at least one port');
  }
  for (const item of fields.list('ports')) {
    const port = Fields.read(ctx, item.value, item.path, EGRESS_PORT);
    if (!port) continue;
    const number = port.integer('port', { min: 1, max: 65535, required: true });
    const written = port.string('protocol', { required: true });
    const protocol = written === undefined ? undefined : protocols[written.toUpperCase()];
    if (written !== undefined && protocol === undefined) {
      ctx.error(
        port.at('protocol'),
        'invalid-value',
        `${showValue(written)} is not a protocol an EgressRule ${cidr ? 'for a CIDR block' : 'for a domain'} takes (${Object.keys(protocols).join(', ')})`,
      );
    }
    if (number === undefined || protocol === undefined || written === undefined) continue;
    if (ports.some((other) => other.number === number)) {
      ctx.error(port.at('port'), 'duplicate-port', `port ${number} is given twice`);
      continue;
    }
    ports.push({ name: `${written.toLowerCase()}-${number}`, number, protocol });
  }
  if (host === undefined || service === undefined) return undefined;
  return {
    kind: 'ServiceEntry',
    identity: ctx.identity,
    hosts: [host],
    addresses: cidr ? [service] : [],
    ports,
    location: 'MESH_EXTERNAL',
    resolution: 'NONE',
    endpoints: [],
    language: 'legacy',
  };
}
