import { request, type IncomingMessage } from 'node:http';
import { waitFor } from '../src';
import { FakeKubernetesApi, k8sEndpointSlice, k8sPod, k8sService } from '../src/kubernetes';

interface WatchEvent {
  readonly type: string;
  readonly object: {
    readonly kind: string;
    readonly apiVersion: string;
    readonly metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> };
    readonly [field: string]: unknown;
  };
}

/** A raw watch client: the status, the events as they arrive, and how the stream ended. */
function openWatch(url: string, headers: Record<string, string> = {}) {
  const events: WatchEvent[] = [];
  let ended: 'clean' | 'error' | undefined;
  let status: number | undefined;
  const req = request(url, { headers }, (response: IncomingMessage) => {
    status = response.statusCode;
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
    response.on('end', () => (ended ??= 'clean'));
    response.on('error', () => (ended ??= 'error'));
  });
  req.on('error', () => (ended ??= 'error'));
  req.end();
  return {
    events,
    status: () => status,
    ended: () => ended,
    types: () => events.map((event) => event.type),
    close: () => req.destroy(),
  };
}

describe('fake Kubernetes API: watches', () => {
  let fake: FakeKubernetesApi;
  const watches: ReturnType<typeof openWatch>[] = [];
  const watch = (path: string, headers?: Record<string, string>) => {
    const opened = openWatch(`${fake.url}${path}`, headers);
    watches.push(opened);
    return opened;
  };
  beforeEach(async () => {
    fake = await FakeKubernetesApi.start({ initialResourceVersion: 48213, bookmarkIntervalMs: 0 });
  });
  afterEach(async () => {
    for (const opened of watches.splice(0)) opened.close();
    await fake.close();
  });

  const web = (addresses: string[]) =>
    k8sEndpointSlice({
      name: 'web-7k2xq',
      service: 'web',
      endpoints: addresses.map((address) => ({ address, nodeName: 'node-a', zone: 'zone-a' })),
      ports: [{ name: 'http', port: 8080 }],
    });

  it('streams changes after the given resourceVersion as chunked JSON lines, in order', async () => {
    fake.put(web(['10.0.1.11']));
    const from = fake.resourceVersion;
    const stream = watch(`/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${from}`);
    await waitFor(() => stream.status() !== undefined);
    expect(stream.status()).toBe(200);
    expect(fake.openWatches('endpointslices')).toBe(1);
    expect(stream.events).toEqual([]);

    fake.put(web(['10.0.1.11', '10.0.1.12']));
    fake.remove('EndpointSlice', 'default', 'web-7k2xq');
    await waitFor(() => stream.events.length === 2);
    expect(stream.types()).toEqual(['MODIFIED', 'DELETED']);
    const [modified, deleted] = stream.events;
    expect(modified?.object).toMatchObject({ kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' });
    expect(Number(modified?.object.metadata.resourceVersion)).toBe(Number(from) + 1);
    expect(Number(deleted?.object.metadata.resourceVersion)).toBe(Number(from) + 2);
  });

  it('replays what happened after the resourceVersion when a watch resumes, and nothing before it', async () => {
    fake.put(web(['10.0.1.11']));
    const listed = fake.resourceVersion;
    fake.put(web(['10.0.1.12']));
    const resumeAt = fake.resourceVersion;
    fake.put(web(['10.0.1.13']));
    const stream = watch(`/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=${resumeAt}`);
    await waitFor(() => stream.events.length === 1);
    expect(stream.events[0]?.object.endpoints).toEqual([
      expect.objectContaining({ addresses: ['10.0.1.13'] }),
    ]);
    expect(Number(listed)).toBeLessThan(Number(resumeAt));
  });

  it('sends synthetic ADDED events for everything to a watch without a resourceVersion', async () => {
    fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    fake.put(k8sService({ name: 'api', ports: [{ name: 'grpc', port: 9090 }] }));
    const stream = watch('/api/v1/services?watch=true');
    await waitFor(() => stream.events.length === 2);
    expect(stream.types()).toEqual(['ADDED', 'ADDED']);
  });

  it('answers a compacted resourceVersion with 200, one ERROR 410 event and EOF', async () => {
    fake.put(web(['10.0.1.11']));
    const old = fake.resourceVersion;
    fake.put(web(['10.0.1.12']));
    fake.compact();
    const stream = watch(`/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${old}`);
    await waitFor(() => stream.ended() !== undefined);
    expect(stream.status()).toBe(200);
    expect(stream.ended()).toBe('clean');
    expect(stream.events).toEqual([
      {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${old} (${fake.resourceVersion})`,
          reason: 'Expired',
          code: 410,
        },
      },
    ]);
  });

  it('sends bookmarks only to watches that allow them, as zero-valued objects', async () => {
    const plain = watch(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${fake.resourceVersion}`,
    );
    const marked = watch(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=true&allowWatchBookmarks=true&resourceVersion=${fake.resourceVersion}`,
    );
    await waitFor(() => fake.openWatches() === 2);
    fake.put(k8sPod({ name: 'unrelated' }));
    fake.bookmark();
    await waitFor(() => marked.events.length === 1);
    expect(plain.events).toEqual([]);
    expect(marked.events[0]).toEqual({
      type: 'BOOKMARK',
      object: {
        kind: 'EndpointSlice',
        apiVersion: 'discovery.k8s.io/v1',
        metadata: { resourceVersion: fake.resourceVersion, creationTimestamp: null },
        addressType: '',
        endpoints: null,
        ports: null,
      },
    });
  });

  it('ends a watch cleanly after timeoutSeconds, with zero events, and releases it', async () => {
    const stream = watch(
      `/api/v1/services?watch=true&timeoutSeconds=1&resourceVersion=${fake.resourceVersion}`,
    );
    await waitFor(() => stream.ended() !== undefined, { timeoutMs: 10_000 });
    expect(stream.ended()).toBe('clean');
    expect(stream.events).toEqual([]);
    expect(fake.openWatches()).toBe(0);
  });

  it('turns selector transitions into ADDED and DELETED, as filtered watches do', async () => {
    fake.put(k8sPod({ name: 'p', labels: { app: 'web' } }));
    const stream = watch(
      `/api/v1/pods?watch=true&resourceVersion=${fake.resourceVersion}&labelSelector=${encodeURIComponent('version=v2')}`,
    );
    await waitFor(() => fake.openWatches() === 1);
    fake.put(k8sPod({ name: 'p', labels: { app: 'web', version: 'v2' } }));
    fake.put(k8sPod({ name: 'p', labels: { app: 'web', version: 'v2', tier: 'x' } }));
    fake.put(k8sPod({ name: 'p', labels: { app: 'web' } }));
    await waitFor(() => stream.events.length === 3);
    expect(stream.types()).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('sends a MODIFIED for a no-op touch: a new resourceVersion and nothing else that matters', async () => {
    fake.put(web(['10.0.1.11']));
    const stream = watch(
      `/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${fake.resourceVersion}`,
    );
    await waitFor(() => fake.openWatches() === 1);
    const before = fake.get('EndpointSlice', 'default', 'web-7k2xq');
    fake.touch('EndpointSlice', 'default', 'web-7k2xq');
    await waitFor(() => stream.events.length === 1);
    const touched = stream.events[0]?.object;
    expect(stream.types()).toEqual(['MODIFIED']);
    expect(touched?.metadata.resourceVersion).not.toBe(before?.metadata.resourceVersion);
    expect(touched?.endpoints).toEqual(before?.endpoints);
    expect(touched?.metadata.annotations?.['fake.sextant.io/touched']).toBe('1');
  });

  it('resets open watches on request, and forgets them when their clients go away', async () => {
    const dropped = watch(`/api/v1/services?watch=true&resourceVersion=${fake.resourceVersion}`);
    await waitFor(() => fake.openWatches() === 1);
    fake.resetWatches();
    await waitFor(() => dropped.ended() !== undefined);
    expect(dropped.ended()).toBe('error');

    const abandoned = watch(`/api/v1/services?watch=true&resourceVersion=${fake.resourceVersion}`);
    await waitFor(() => fake.openWatches() === 1);
    abandoned.close();
    await waitFor(() => fake.openWatches() === 0);
  });

  it('streams PartialObjectMetadata to clients that ask for it', async () => {
    const stream = watch(`/api/v1/pods?watch=true&resourceVersion=${fake.resourceVersion}`, {
      Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
    });
    await waitFor(() => fake.openWatches() === 1);
    fake.put(k8sPod({ name: 'web-1', labels: { version: 'v1' }, ip: '10.0.1.11' }));
    await waitFor(() => stream.events.length === 1);
    expect(stream.events[0]?.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: expect.objectContaining({ name: 'web-1', labels: { version: 'v1' } }),
    });
  });
});
