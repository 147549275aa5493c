import type { HashPolicyOutcome } from './outcome';
import { asObject, field, oneofMember, stringField } from './proto-fields';

/** RouteAction.hash_policy, for ring-hash and Maglev clusters. */
export function hashPolicies(list: readonly unknown[], path: string): HashPolicyOutcome[] {
  return list.flatMap((item, index): HashPolicyOutcome[] => {
    const policyPath = `${path}.hash_policy[${index}]`;
    const policy = asObject(item, policyPath);
    const terminal = field(policy, 'terminal') === true;
    const kind = oneofMember(policy, [
      'header',
      'cookie',
      'connection_properties',
      'query_parameter',
      'filter_state',
    ] as const);
    const part = kind && asObject(field(policy, kind), `${policyPath}.${kind}`);
    switch (kind) {
      case 'header':
        return [{ kind: 'header', name: stringField(part ?? {}, 'header_name', policyPath) ?? '', terminal }];
      case 'cookie':
        return [{ kind: 'cookie', name: stringField(part ?? {}, 'name', policyPath) ?? '', terminal }];
      case 'query_parameter':
        return [
          { kind: 'query-parameter', name: stringField(part ?? {}, 'name', policyPath) ?? '', terminal },
        ];
      case 'connection_properties':
        return [{ kind: 'source-ip', terminal }];
      case 'filter_state':
        return [{ kind: 'filter-state', key: stringField(part ?? {}, 'key', policyPath) ?? '', terminal }];
      case undefined:
        return [];
    }
  });
}
