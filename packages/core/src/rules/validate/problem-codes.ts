/**
 * Every code a RuleProblem can carry, with what it means: stable names for tools (`sextant
 * analyze`, /debug/rules) to key on. A message says the rest in words.
 */
export const RULE_PROBLEM_CODES = {
  // ---------------------------------------------------------------- reading a source
  syntax: 'a document is not YAML or JSON',
  'document-limit': 'a document is past DOCUMENT_LIMITS (nesting, aliases, expansion)',
  'not-a-resource': 'a document or List item is not an object with apiVersion, kind, metadata and spec',
  'unknown-kind': 'a kind (or apiVersion group) Sextant does not read; the message lists those it does',
  'duplicate-identity':
    'the same kind, namespace and name twice in one source, or in two rules files; the first is used',
  'unreadable-file': 'a rules file that cannot be read (missing, not a regular file, too big)',
  'too-many-problems': 'more problems than are reported for one rule or source; the rest are counted',
  // ---------------------------------------------------------------- fields
  'missing-field': 'a required field is absent',
  'wrong-type': 'a field holds the wrong type of value',
  'unknown-field': 'a field the resource does not have (the message lists the known ones)',
  'unsupported-field': "a field of Istio's API Sextant does not implement: refused rather than ignored",
  'duplicate-field': 'a field given under both its JSON name and its proto name',
  'deprecated-field': 'a legacy spelling, accepted and mapped as the message says (a warning)',
  'conflicting-fields': 'fields that exclude each other, or one of a oneof given twice',
  'invalid-value': 'a value out of range or not one of the allowed values',
  'invalid-name': 'a resource, namespace, subset or port name that is not a DNS-1123 name',
  'invalid-host': 'a hostname that is not a DNS name (wildcards only as or in front of the first label)',
  'duplicate-host': 'a host given twice in one resource (wildcards included)',
  'invalid-label': 'a label key or value Kubernetes would refuse',
  'invalid-duration': 'not a Go duration, under 1 ms, or finer than a millisecond',
  'invalid-regex': 'a regular expression RE2 does not compile, or longer than 1024 characters',
  'invalid-header': 'a header name or value a proxy would refuse',
  'invalid-address': 'not an IP address or CIDR block',
  'zero-total-weight': 'several destinations whose weights add up to 0',
  'legacy-weight-total': "RouteRule weights that do not add up to 100 (the Rules API's rule)",
  'duplicate-subset': 'a subset name defined twice',
  'duplicate-port': 'a port number or name given twice',
  'fault-never-applies': 'a fault without a percentage: Istio injects it into no request (a warning)',
  // ---------------------------------------------------------------- across resources
  'unknown-host': 'a host no service or ServiceEntry has',
  'unknown-subset': 'a subset no DestinationRule for the host defines',
  'unknown-port': 'a port the destination host does not have',
  'port-required': 'a destination with several ports and no port chosen',
  'unreachable-route':
    'a route no request can reach (after a catch-all, or all its matches taken) (a warning)',
  'ineffective-match': 'a match an earlier one always takes first (a warning)',
  'empty-subset': 'a subset whose labels select no instance of the host (a warning)',
  'no-healthy-endpoints':
    'a destination that takes traffic whose instances are all unhealthy or draining now (a warning; at run time)',
  'conflicting-virtual-services': 'two VirtualServices for one host: only one applies (a warning)',
  'shadowed-route-rule':
    'a legacy RouteRule for a host a VirtualService routes: it does not apply (a warning)',
  'shadowed-http-route':
    'a Gateway API HTTPRoute for a Service a VirtualService routes: it does not apply (a warning)',
  'unchecked-reference-grant':
    'a Gateway API reference to another namespace, whose ReferenceGrant Sextant does not check (a warning)',
  'ignored-field': 'a field Sextant reads but that has no effect where it is (a warning)',
  'ignored-traffic-policy':
    "a DestinationRule's traffic policy that an earlier one for the host overrides (a warning)",
  'unresolved-name':
    'a resolution DNS name with no addresses yet, or whose last lookup failed (its last known addresses stay) (a warning)',
  // ---------------------------------------------------------------- per target
  'not-expressible': 'the target cannot express it: its clients are not sent it (an error for that target)',
  lossy: 'the target expresses it only approximately (a warning for that target)',
  'regex-dialect': 'Envoy v1 reads this RE2 regex as ECMAScript, where it means something else',
  'redirect-code': 'a redirect code Envoy cannot send (only 301, 302, 303, 307, 308)',
  'route-omitted': 'a route not sent to the target at all',
  'weight-rounds-to-zero': 'a non-zero weight that becomes 0 in the integer split summing to 100 (a warning)',
} as const;

export type RuleProblemCode = keyof typeof RULE_PROBLEM_CODES;
