export { readRuleDocuments, MAX_LOCATED_RULE_CHARACTERS, type RuleDocuments } from './read-rule-documents';
export { parseRule, type RuleParse } from './parse-rule';
export { formatRuleProblem, formatRuleLocation, locatedProblem } from './located-problem';
export { MAX_PROBLEMS_REPORTED } from './rule-context';
export { resolveHost, hostCovers, SHORT_NAME_SUFFIX } from './names';
export { readDuration, goDurationNanos } from './duration';
export { legacySubsetName } from './legacy/istio-service';
export {
  readKind,
  NETWORKING_GROUP,
  NETWORKING_VERSIONS,
  NETWORKING_KINDS,
  LEGACY_GROUP,
  LEGACY_KINDS,
  SECURITY_GROUP,
  SECURITY_VERSIONS,
  SECURITY_KINDS,
  type SupportedKind,
} from './rule-kinds';
export { DEFAULT_RETRY_ON, RETRY_ON_TOKENS } from './retries';
export { DEFAULT_MESH_ROOT_NAMESPACE } from './peer-authentication';
