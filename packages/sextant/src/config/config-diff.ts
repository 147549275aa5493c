import { canonicalJson, listenerConfig, type DaemonConfig } from '@sextant/core';
import type { ConfiguredAdapter, LoadedConfig } from './load-config';

export type ListenerName = keyof DaemonConfig['listen'];

/** What a reload changes, by what applying it takes. */
export interface ConfigDiff {
  readonly adapters: {
    /** Named now, not before: started. */
    readonly added: readonly string[];
    /** Named before, not now: stopped, their services and rules removed. */
    readonly removed: readonly string[];
    /** Same name, another type or other options: restarted; their last state stays served until they report. */
    readonly changed: readonly string[];
    /** The order changed (the first listed wins service attributes). */
    readonly reordered: boolean;
  };
  /** `rules:` patterns changed. */
  readonly rules: boolean;
  readonly debounce: boolean;
  readonly logLevel: boolean;
  /** Listeners whose address changed: bound anew. */
  readonly listeners: readonly ListenerName[];
  /** Settings that changed and take effect only at the next start (their running values stay). */
  readonly restartRequired: readonly string[];
}

/**
 * Settings that only a restart applies: they shape servers and caches built once. A reload keeps
 * their running values and says so.
 */
export const RESTART_ONLY = [
  'limits',
  'defaults',
  'admin',
  'rulesApi',
  'dns',
  'security',
  'ca',
] as const satisfies readonly (keyof DaemonConfig)[];

/**
 * What differs between the running configuration and a new one. An adapter is the same adapter
 * when its name, type and options (canonical JSON: key order and formatting do not count; the
 * schema's defaults are filled on both sides) are; only then does it keep running with its state.
 */
export function diffConfig(running: LoadedConfig, next: LoadedConfig): ConfigDiff {
  const before = new Map(running.adapters.map((a) => [a.name, a]));
  const after = new Map(next.adapters.map((a) => [a.name, a]));
  const added = next.adapters.filter((a) => !before.has(a.name)).map((a) => a.name);
  const removed = running.adapters.filter((a) => !after.has(a.name)).map((a) => a.name);
  const changed = next.adapters
    .filter((a) => {
      const was = before.get(a.name);
      return was !== undefined && adapterIdentity(was) !== adapterIdentity(a);
    })
    .map((a) => a.name);
  const kept = (list: readonly ConfiguredAdapter[]) =>
    list.filter((a) => before.has(a.name) && after.has(a.name)).map((a) => a.name);
  const reordered = kept(running.adapters).join('\n') !== kept(next.adapters).join('\n');
  const [was, now] = [running.config, next.config];
  const differs = (a: unknown, b: unknown) => canonicalJson(a) !== canonicalJson(b);
  return {
    adapters: { added, removed, changed, reordered },
    rules: differs(was.rules, now.rules) || running.baseDir !== next.baseDir,
    debounce: differs(was.debounce, now.debounce),
    logLevel: was.log.level !== now.log.level,
    listeners: (Object.keys(now.listen) as ListenerName[]).filter(
      (name) => listenerConfig(was.listen[name]).address !== listenerConfig(now.listen[name]).address,
    ),
    // A listener's TLS settings shape the server built at start-up: a moved listener keeps them.
    restartRequired: [
      ...RESTART_ONLY.filter((key) => differs(was[key], now[key])),
      ...(Object.keys(now.listen) as ListenerName[])
        .filter((name) => differs(listenerConfig(was.listen[name]).tls, listenerConfig(now.listen[name]).tls))
        .map((name) => `listen.${name}.tls`),
    ],
  };
}

/** Whether a diff changes anything at all. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  const { added, removed, changed, reordered } = diff.adapters;
  return (
    added.length + removed.length + changed.length === 0 &&
    !reordered &&
    !diff.rules &&
    !diff.debounce &&
    !diff.logLevel &&
    diff.listeners.length === 0 &&
    diff.restartRequired.length === 0
  );
}

/** An adapter's identity across reloads: its type and canonical options (its name is the key). */
function adapterIdentity(adapter: ConfiguredAdapter): string {
  return canonicalJson({ type: adapter.type, options: adapter.options });
}
