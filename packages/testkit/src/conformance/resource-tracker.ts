import { AsyncResource, createHook, type AsyncHook } from 'node:async_hooks';

/**
 * Resource types that mean I/O or a timer: what an adapter must have released once its run ends.
 * Promises and ticks are not tracked (they are not kept open by anyone).
 */
const TRACKED = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPCONNECTWRAP',
  'TLSWRAP',
  'PIPEWRAP',
  'UDPWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
  'FSREQCALLBACK',
  'FSREQPROMISE',
  'GETADDRINFOREQWRAP',
  'HTTPCLIENTREQUEST',
  'SIGNALWRAP',
  'PROCESSWRAP',
]);

export interface OpenResource {
  readonly type: string;
  /** The first frame of the code that created it, outside Node's internals. */
  readonly createdAt: string;
}

/**
 * Records the I/O and timer resources an adapter creates, and forgets each one when Node
 * destroys it: what remains was opened and never closed. A resource belongs to the adapter when
 * its chain of triggers leads back to the scope `runOwned` started it in, so the harness's own
 * timers and the fake platform's server-side sockets never count, and no transient resource
 * elsewhere can hide a leak (as counting `process.getActiveResourcesInfo()` by type could).
 * Unref'd timers, invisible there but still firing, are caught too.
 */
export class ResourceTracker {
  /** Async ids descending from an owned scope, whatever their type (promises carry ownership). */
  private readonly owned = new Set<number>();
  private readonly alive = new Map<number, OpenResource>();
  private readonly hook: AsyncHook;

  constructor() {
    this.hook = createHook({
      init: (asyncId, type, triggerAsyncId) => {
        if (!this.owned.has(triggerAsyncId)) return;
        this.owned.add(asyncId);
        if (TRACKED.has(type)) this.alive.set(asyncId, { type, createdAt: creator(new Error().stack) });
      },
      destroy: (asyncId) => {
        this.alive.delete(asyncId);
      },
    });
  }

  start(): this {
    this.hook.enable();
    return this;
  }

  stop(): void {
    this.hook.disable();
  }

  /** Calls `fn` in a fresh async scope whose descendants are tracked. */
  runOwned<T>(fn: () => T): T {
    const scope = new AsyncResource('SextantAdapter');
    this.owned.add(scope.asyncId());
    return scope.runInAsyncScope(fn);
  }

  /** Owned resources not destroyed yet. */
  open(): OpenResource[] {
    return [...this.alive.values()];
  }

  /** `Timeout created at file-watcher.ts:42:18; FSEVENTWRAP created at …`. */
  describeOpen(): string {
    return this.open()
      .map((r) => `${r.type} created at ${r.createdAt}`)
      .join('; ');
  }
}

function creator(stack: string | undefined): string {
  const frames = (stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim());
  const frame = frames.find(
    (line) =>
      !line.includes('node:') && !line.includes('resource-tracker') && !line.includes('(<anonymous>)'),
  );
  return frame?.replace(/^at /, '') ?? 'an unknown place';
}
