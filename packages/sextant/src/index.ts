export { main } from './cli';
export { loadConfig, type LoadedConfig, type ConfiguredAdapter } from './config/load-config';
export { loadAdapterFactory, BUILT_IN_ADAPTERS } from './config/load-adapter';
export { AdapterSupervisor } from './daemon/adapter-supervisor';
