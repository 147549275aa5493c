export * from './resource';
export * from './model';
export * from './problems';
export * from './host-policy';
export { HostPolicies, wildcardMatches } from './host-policies';
export { MeshRules } from './mesh-rules';
export { peerMtlsMode, type PeerWorkload } from './peer-mtls';
export { MAX_ADDRESSES_PER_NAME, ServiceEntryHosts, type DnsAnswer } from './service-entry-hosts';
export {
  RuleBook,
  ruleVersion,
  type ActiveRule,
  type RuleChange,
  type RuleParser,
  type RuleStatus,
} from './rule-book';
export * from './parse';
export * from './validate';
export {
  ruleToStore,
  RuleStoreConflict,
  RuleStoreUnavailable,
  storedRule,
  type RuleStore,
  type StoredRule,
} from './rule-store';
