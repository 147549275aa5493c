import type { AdapterStatusView, MergeConflict, Registry, Snapshot, SnapshotListener } from '@sextant/core';

/** What the servers read: the registry, seen only through its published state. */
export interface MeshState {
  /** Latest snapshot; undefined until every adapter has synced once. */
  current(): Snapshot | undefined;
  isSynced(): boolean;
  adapterStatuses(): AdapterStatusView[];
  conflicts(): MergeConflict[];
  onSnapshot(listener: SnapshotListener): () => void;
  /** Every rule resource with its state and problems, and the problems of each rule source. */
  ruleStatuses(): ReturnType<Registry['ruleStatuses']>;
  /** The problems rule resources would have in force (a dry run; see Registry.checkRules). */
  checkRules(inputs: Parameters<Registry['checkRules']>[0]): ReturnType<Registry['checkRules']>;
}
