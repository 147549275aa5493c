import { describe, expect, it } from '@jest/globals';
import { Registry } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import pino from 'pino';
import { favourMemoryOnceServing } from '../src/daemon/heap-mode';

const service = (hostname: string) => ({
  hostname,
  ports: [{ name: 'http', port: 80, protocol: 'http' as const }],
});

/** A registry of one adapter, and the V8 flags set for it. */
function registryWithFlags(heap: 'size' | 'speed'): { registry: Registry; flags: string[] } {
  const registry = new Registry({ adapters: ['files'], debounce: { afterMs: 0, maxMs: 0 } });
  const flags: string[] = [];
  favourMemoryOnceServing(registry, heap, pino({ level: 'silent' }), (f) => flags.push(f));
  return { registry, flags };
}

describe('limits.heap', () => {
  it('size: V8 is told to favour memory once the first snapshot is out, not before, and once', async () => {
    const { registry, flags } = registryWithFlags('size');
    const sink = registry.sink('files');
    sink.upsertService(service('a.ns.svc.cluster.local'), []);
    expect(flags).toEqual([]);
    sink.setStatus('ready');
    await waitFor(() => registry.current() !== undefined, { message: 'the first snapshot' });
    expect(flags).toEqual(['--optimize-for-size']);
    const first = registry.current()?.version;
    sink.upsertService(service('b.ns.svc.cluster.local'), []);
    await waitFor(() => registry.current()?.version !== first, { message: 'a second snapshot' });
    expect(flags).toEqual(['--optimize-for-size']);
    registry.close();
  });

  it('speed: V8 keeps its defaults', async () => {
    const { registry, flags } = registryWithFlags('speed');
    registry.sink('files').setStatus('ready');
    await waitFor(() => registry.current() !== undefined, { message: 'the first snapshot' });
    expect(flags).toEqual([]);
    registry.close();
  });
});
