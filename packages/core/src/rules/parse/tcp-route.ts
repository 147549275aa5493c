import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import type { TcpRoute } from '../model';
import { isAddressOrCidr } from './addresses';
import { Fields } from './fields';
import { readSourceSelector } from './http-match';
import { readWeightedDestinations } from './http-route';
import type { RuleContext } from './rule-context';

const TCP_ROUTE = { known: ['match', 'route'] } as const;
const L4_MATCH = {
  known: ['destinationSubnets', 'port', 'sourceLabels', 'sourceNamespace'],
  unsupported: {
    gateways: 'per-match gateways are not supported: bind the whole VirtualService with spec.gateways',
    sourceSubnet: 'matching on the client subnet (sourceSubnet) is not supported',
  },
} as const;

/** One TCPRoute: L4 matches (OR) and weighted destinations. */
export function readTcpRoute(ctx: RuleContext, value: unknown, path: FieldPath): TcpRoute | undefined {
  const fields = Fields.read(ctx, value, path, TCP_ROUTE);
  if (!fields) return undefined;
  const match: TcpRoute['match'][number][] = [];
  for (const item of fields.list('match')) {
    const attributes = Fields.read(ctx, item.value, item.path, L4_MATCH);
    if (!attributes) continue;
    const destinationSubnets: string[] = [];
    for (const subnet of attributes.strings('destinationSubnets')) {
      if (isAddressOrCidr(subnet.value)) destinationSubnets.push(subnet.value);
      else
        ctx.error(
          subnet.path,
          'invalid-address',
          `${showValue(subnet.value)} is not an IP address or CIDR block`,
        );
    }
    const port = attributes.integer('port', { min: 1, max: 65535 });
    const source = readSourceSelector(attributes);
    match.push({ ...(port !== undefined && { port }), destinationSubnets, ...(source && { source }) });
  }
  if (!fields.require('route')) return undefined;
  const destinations = readWeightedDestinations(fields, 'route', 'tcp');
  if (!destinations) return undefined;
  return { match, destinations, origin: ctx.origin(path) };
}
