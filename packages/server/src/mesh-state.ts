import type { AdapterStatusView, MergeConflict, Snapshot, SnapshotListener } from '@sextant/core';

/** What the servers read: the registry, seen only through its published state. */
export interface MeshState {
  /** Latest snapshot; undefined until every adapter has synced once. */
  current(): Snapshot | undefined;
  isSynced(): boolean;
  adapterStatuses(): AdapterStatusView[];
  conflicts(): MergeConflict[];
  onSnapshot(listener: SnapshotListener): () => void;
}
