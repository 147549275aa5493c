import { adapter } from './factory';

export { adapter };
export default adapter;
export { fileAdapterOptionsSchema, type FileAdapterOptions } from './options';
export { parseServicesFile } from './parse-services-file';
export type { InstanceSpec, PortSpec, ServiceSpec, ServicesFile } from './services-file-schema';
export { watchFile, readObservation, type FileObservation, type FileWatcherOptions } from './file-watcher';
