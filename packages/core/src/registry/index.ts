export * from './registry';
export type { ServiceEntry, Snapshot } from './snapshot';
export { entryVersion, serviceShape, snapshotVersion } from './snapshot';
export type { MergeConflict } from './merge';
export { Debouncer } from './debouncer';
