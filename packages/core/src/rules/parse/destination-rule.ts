import type { DestinationRuleRule, Subset } from '../model';
import { checkedHost, readSubsetName } from './destination';
import { Fields } from './fields';
import { readLabels } from './labels';
import type { RuleContext } from './rule-context';
import { readTrafficPolicy } from './traffic-policy';

const DESTINATION_RULE = {
  known: ['host', 'subsets', 'trafficPolicy'],
  unsupported: {
    exportTo: 'exportTo is not supported: rules apply to clients in every namespace',
    workloadSelector: 'DestinationRules for some clients only (workloadSelector) are not supported',
  },
} as const;
const SUBSET = { known: ['name', 'labels', 'trafficPolicy'] } as const;

/** A DestinationRule's spec. */
export function readDestinationRule(ctx: RuleContext, spec: unknown): DestinationRuleRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], DESTINATION_RULE);
  if (!fields) return undefined;
  const written = fields.string('host', { required: true });
  const host =
    written === undefined ? undefined : checkedHost(ctx, written, fields.at('host'), { star: 'allowed' });
  const subsets: Subset[] = [];
  for (const item of fields.list('subsets')) {
    const subsetFields = Fields.read(ctx, item.value, item.path, SUBSET);
    if (!subsetFields) continue;
    const name = subsetFields.has('name')
      ? readSubsetName(subsetFields, 'name')
      : (subsetFields.require('name'), undefined);
    const labels = readLabels(subsetFields, 'labels') ?? {};
    const trafficPolicy = readTrafficPolicy(subsetFields, 'trafficPolicy');
    if (name === undefined) continue;
    if (subsets.some((subset) => subset.name === name)) {
      ctx.error(subsetFields.at('name'), 'duplicate-subset', `duplicate subset names: ${name}`);
      continue;
    }
    subsets.push({ name, labels, ...(trafficPolicy && { trafficPolicy }), origin: ctx.origin(item.path) });
  }
  const trafficPolicy = readTrafficPolicy(fields, 'trafficPolicy');
  if (host === undefined) return undefined;
  return {
    kind: 'DestinationRule',
    identity: ctx.identity,
    host,
    subsets,
    ...(trafficPolicy && { trafficPolicy }),
    language: 'istio',
  };
}
