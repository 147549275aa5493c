import { adapter } from './factory';

export { adapter };
export default adapter;
export { ConsulAdapter, type ConsulAdapterTuning } from './consul-adapter';
export {
  consulAdapterOptionsSchema,
  DEFAULTS as CONSUL_ADAPTER_DEFAULTS,
  type ConsulAdapterOptions,
  type ConsulRulesOptions,
  type ConsulTlsOptions,
  type HealthRule,
  type ServiceSelection,
} from './options';
export {
  toServiceReport,
  type MappingRules,
  type ServiceReport,
  type SkippedInstances,
} from './service-report';
export { ServiceFilter } from './service-selection';
export { instanceLabels } from './instance-labels';
export { ConfigEntryBook } from './rules/config-entry-book';
export { CONFIG_ENTRIES_ORIGIN } from './rules/config-entries-watch';
export { formatEntryProblem, type EntryProblem } from './rules/translate/entry-problems';
