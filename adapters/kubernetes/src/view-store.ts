import { isDeepStrictEqual } from 'node:util';

/** Called with a key's view before and after a change (undefined: absent). */
export type ViewChange<V> = (key: string, before: V | undefined, after: V | undefined) => void;

/**
 * The views of one kind, by key (`<namespace>/<name>`, or `<name>` for cluster-scoped kinds).
 * A write that leaves the view as it was is no change: it returns false and tells no one.
 */
export class ViewStore<V> {
  private readonly views = new Map<string, V>();

  constructor(private readonly onChange: ViewChange<V>) {}

  get(key: string): V | undefined {
    return this.views.get(key);
  }

  /** Stores `view` under `key`; false when it equals the view held. */
  put(key: string, view: V): boolean {
    const before = this.views.get(key);
    if (before !== undefined && isDeepStrictEqual(before, view)) return false;
    this.views.set(key, view);
    this.onChange(key, before, view);
    return true;
  }

  delete(key: string): boolean {
    const before = this.views.get(key);
    if (before === undefined) return false;
    this.views.delete(key);
    this.onChange(key, before, undefined);
    return true;
  }

  /** Keys held, all or those of one namespace. */
  keys(namespace?: string): string[] {
    const all = [...this.views.keys()];
    if (namespace === undefined) return all;
    const prefix = `${namespace}/`;
    return all.filter((key) => key.startsWith(prefix));
  }
}
