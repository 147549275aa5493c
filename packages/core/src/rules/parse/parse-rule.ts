import { showValue } from '../../schema/show-value';
import type { ParsedRule } from '../model';
import type { RuleProblem } from '../problems';
import { DEFAULT_RULE_NAMESPACE, type RuleIdentity, type RuleInput } from '../resource';
import { targetProblems } from '../validate/target-problems';
import { readDestinationRule } from './destination-rule';
import { readGatewayHttpRoute } from './gateway/http-route';
import { readDestinationPolicy } from './legacy/destination-policy';
import { readEgressRule } from './legacy/egress-rule';
import { readRouteRule } from './legacy/route-rule';
import { readPeerAuthentication } from './peer-authentication';
import { isDns1123Label, isDns1123Subdomain } from './names';
import { RuleContext } from './rule-context';
import { readKind, type SupportedKind } from './rule-kinds';
import { readServiceEntry } from './service-entry';
import { readVirtualService } from './virtual-service';

export interface RuleParse {
  /** The rule in the model; undefined when an error (for every target) keeps it from being used. */
  readonly rule?: ParsedRule;
  /** Errors, warnings, and what each render target cannot express of the rule. */
  readonly problems: RuleProblem[];
}

const READERS: Readonly<
  Record<SupportedKind, (ctx: RuleContext, spec: unknown, input: RuleInput) => ParsedRule | undefined>
> = {
  VirtualService: readVirtualService,
  DestinationRule: readDestinationRule,
  ServiceEntry: readServiceEntry,
  PeerAuthentication: readPeerAuthentication,
  RouteRule: readRouteRule,
  DestinationPolicy: readDestinationPolicy,
  EgressRule: readEgressRule,
  HTTPRoute: readGatewayHttpRoute,
};

/**
 * Parses and validates one rule resource into the model: Istio's networking API
 * (networking.istio.io v1, v1beta1, v1alpha3), Pilot's legacy Rules API (config.istio.io) or
 * Gateway API HTTPRoutes attached to Services (gateway.networking.k8s.io), converted with their
 * own semantics kept. Every field is mapped or refused by name; every problem
 * names the resource, the field path in Istio's style and, where the source kept positions, the
 * line and column. Warnings and problems for one render target leave the rule usable.
 */
export function parseRule(input: RuleInput): RuleParse {
  const identity: RuleIdentity = {
    kind: input.kind,
    namespace: input.metadata.namespace || DEFAULT_RULE_NAMESPACE,
    name: input.metadata.name,
  };
  const ctx = new RuleContext(identity, input.location);
  if (!isDns1123Subdomain(identity.name)) {
    ctx.error(
      ['metadata', 'name'],
      'invalid-name',
      `${showValue(identity.name)} is not a resource name (lower-case letters, digits, "-" and ".", at most 253)`,
    );
  }
  if (!isDns1123Label(identity.namespace)) {
    ctx.error(
      ['metadata', 'namespace'],
      'invalid-name',
      `${showValue(identity.namespace)} is not a namespace name (lower-case letters, digits and "-", at most 63)`,
    );
  }
  const kind = readKind(input.apiVersion, input.kind);
  if ('problem' in kind) {
    ctx.error(['kind'], 'unknown-kind', kind.problem);
    return { problems: ctx.problems() };
  }
  if (input.spec === undefined || input.spec === null) {
    ctx.error(['spec'], 'missing-field', 'missing required field');
    return { problems: ctx.problems() };
  }
  const rule = READERS[kind.kind](ctx, input.spec, input);
  if (!rule || ctx.failed) return { problems: ctx.problems() };
  return { rule, problems: [...ctx.problems(), ...targetProblems(rule, input.location)] };
}
