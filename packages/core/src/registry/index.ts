export * from './registry';
export type { ServiceEntry, Snapshot } from './snapshot';
export { entryVersion, snapshotVersion } from './snapshot';
export type { MergeConflict } from './merge';
export { Debouncer } from './debouncer';
