import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '../src';
import { FakeNomad, type FakeNomadOptions, type NomadEventBatch } from '../src/nomad';

/** An open event stream, line by line. */
interface Stream {
  /** Lines received so far, parsed. */
  readonly lines: (NomadEventBatch | Record<string, never>)[];
  ended: boolean;
  close(): void;
}

describe('fake Nomad: the Service event stream', () => {
  let nomad: FakeNomad;
  const streams: Stream[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await nomad.close();
  });

  async function start(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    nomad = await FakeNomad.start({ seed: 5, ...options });
    return nomad;
  }

  async function open(query: string, headers: Record<string, string> = {}): Promise<Stream> {
    const controller = new AbortController();
    const response = await fetch(`${nomad.url}/v1/event/stream?${query}`, {
      signal: controller.signal,
      headers,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const stream: Stream = { lines: [], ended: false, close: () => controller.abort() };
    streams.push(stream);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            stream.lines.push(JSON.parse(buffered.slice(0, newline)) as NomadEventBatch);
            buffered = buffered.slice(newline + 1);
          }
        }
      } catch {
        // Aborted or dropped: the stream is over either way.
      }
      stream.ended = true;
    })();
    await waitFor(() => stream.lines.length >= 1, { message: 'the first line' });
    return stream;
  }

  const batches = (stream: Stream) => stream.lines.filter((line): line is NomadEventBatch => 'Index' in line);
  const summary = (stream: Stream) =>
    batches(stream).flatMap((batch) =>
      batch.Events.map((e) => `${batch.Index} ${e.Type} ${e.Namespace}/${e.Payload.Service.ServiceName}`),
    );

  it('starts with {}, then sends one line per write with the registrations as payload', async () => {
    await start();
    const stream = await open('topic=Service&namespace=*');
    expect(stream.lines[0]).toEqual({});
    const [row] = nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 8080 });
    nomad.deregister(row?.ID ?? '');
    await waitFor(() => batches(stream).length === 2);
    const [registered] = batches(stream);
    expect(registered?.Events[0]).toEqual({
      Topic: 'Service',
      Type: 'ServiceRegistration',
      Key: row?.ID,
      Namespace: 'default',
      FilterKeys: ['web', 'web'],
      Index: registered?.Index,
      Payload: { Service: row },
    });
    expect(summary(stream)).toEqual([
      `${registered?.Index} ServiceRegistration default/web`,
      `${(registered?.Index ?? 0) + 1} ServiceDeregistration default/web`,
    ]);
  });

  it('sends {} heartbeats, and only heartbeats while events are being lost', async () => {
    await start({ heartbeatMs: 30 });
    const stream = await open('topic=Service&namespace=*');
    nomad.setEventDelivery(false);
    nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 8080 });
    await waitFor(() => stream.lines.length >= 4, { message: 'three heartbeats' });
    expect(batches(stream)).toEqual([]);
    nomad.setEventDelivery(true);
    nomad.register({ ServiceName: 'web', Address: '10.0.0.2', Port: 8080 });
    await waitFor(() => batches(stream).length === 1);
  });

  it('resumes from an index, and silently from the oldest kept batch when that index is gone', async () => {
    await start();
    for (const n of [1, 2, 3]) nomad.register({ ServiceName: 'web', Address: `10.0.0.${n}`, Port: 8080 });
    const first = nomad.index - 2;
    const resumed = await open(`topic=Service&namespace=*&index=${first + 1}`);
    await waitFor(() => batches(resumed).length === 2);
    expect(batches(resumed).map((b) => b.Index)).toEqual([first + 1, first + 2]);

    nomad.truncateEvents(1);
    const gapped = await open(`topic=Service&namespace=*&index=${first}`);
    await waitFor(() => batches(gapped).length === 1);
    expect(batches(gapped).map((b) => b.Index)).toEqual([first + 2]);
  });

  it('filters by topic key (ID, job or service name), namespace and the token', async () => {
    await start({ acl: { tokens: { reader: { read: ['default'] } } } });
    const byName = await open('topic=Service:web&namespace=*', { 'X-Nomad-Token': 'reader' });
    const payments = await open('topic=Service&namespace=*', { 'X-Nomad-Token': 'reader' });
    const otherTopic = await open('topic=Job&namespace=*', { 'X-Nomad-Token': 'reader' });
    nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 8080 });
    nomad.register({ ServiceName: 'api', Address: '10.0.0.2', Port: 9090 });
    nomad.register({ ServiceName: 'redis', Namespace: 'payments', Address: '10.0.0.3', Port: 6379 });
    nomad.register({ ServiceName: 'web', Address: '10.0.0.4', Port: 8080 });
    await waitFor(() => batches(payments).length === 3);
    expect(summary(byName).map((line) => line.split(' ').slice(1).join(' '))).toEqual([
      'ServiceRegistration default/web',
      'ServiceRegistration default/web',
    ]);
    expect(summary(payments).some((line) => line.includes('payments/'))).toBe(false);
    expect(batches(otherTopic)).toEqual([]);
    const refused = await fetch(`${nomad.url}/v1/event/stream?namespace=payments`, {
      headers: { 'X-Nomad-Token': 'reader' },
    });
    expect([refused.status, await refused.text()]).toEqual([403, 'Permission denied']);
  });

  it('ends streams when the server drops them, and releases a stream whose client goes away', async () => {
    await start({ heartbeatMs: 20 });
    const dropped = await open('topic=Service');
    const left = await open('topic=Service');
    expect(nomad.openStreams()).toBe(2);
    nomad.closeStreams();
    await waitFor(() => dropped.ended && left.ended);
    await waitFor(() => nomad.openStreams() === 0);
    const abandoned = await open('topic=Service');
    abandoned.close();
    await waitFor(() => nomad.openStreams() === 0, { message: 'the abandoned stream to be released' });
  });
});
