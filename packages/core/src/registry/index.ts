export * from './registry';
export type { ServiceEntry, Snapshot } from './snapshot';
export { entryVersion, serviceShape, snapshotVersion, SnapshotDigest } from './snapshot';
export { ShardedMap } from './sharded-map';
export { StringRecords } from './string-records';
export type { MergeConflict } from './merge';
export { Debouncer } from './debouncer';
