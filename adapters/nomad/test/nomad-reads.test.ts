import type { NomadAnswer, NomadClient, NomadRequest } from '../src/nomad/nomad-client';
import { registrationsRead, serviceListRead } from '../src/watch/nomad-reads';
import { Gate } from '../src/watch/gate';
import { RequestSlots } from '../src/watch/request-slots';

/** A registration body as Nomad sends it. */
const row = (alloc: string) => ({
  ID: `_nomad-task-${alloc}-group-web-web-http`,
  ServiceName: 'web',
  Namespace: 'default',
  NodeID: 'n',
  Datacenter: 'dc1',
  JobID: 'web',
  AllocID: alloc,
  Tags: null,
  Address: '10.0.0.1',
  Port: 1,
  CreateIndex: 1,
  ModifyIndex: 1,
});

/**
 * A client answering from a script of pages, recording each request. The protocol-faithful fake
 * cannot make the table move between two pages of one read on cue; this can.
 */
function scriptedClient(pages: NomadAnswer[]) {
  const requests: NomadRequest[] = [];
  const client = {
    get: async (request: NomadRequest) => {
      requests.push(request);
      const page = pages.shift();
      if (!page) throw new Error('no more pages scripted');
      return page;
    },
  } as unknown as NomadClient;
  return { client, requests };
}

describe('reading registrations page by page', () => {
  const signal = new AbortController().signal;
  const open = new Gate();
  open.open();
  const context = (client: NomadClient, blocking = open) => ({
    client,
    slots: new RequestSlots(4, 30_000),
    waitMs: 60_000,
    perPage: 1,
    blocking,
  });

  it('blocks on the first page only, follows the tokens, and reports the pages together', async () => {
    const { client, requests } = scriptedClient([
      { index: 7, nextToken: 'default.b', body: [row('a')] },
      { index: 7, nextToken: 'default.c', body: [row('b')] },
      { index: 7, nextToken: undefined, body: [row('c')] },
    ]);
    const result = await registrationsRead(context(client), 'default', 'web')(5, signal);
    expect(result.index).toBe(7);
    expect(result.value?.map((r) => r.allocId)).toEqual(['a', 'b', 'c']);
    expect(requests.map((r) => r.query)).toEqual([
      { namespace: 'default', per_page: '1', index: '5', wait: '1m' },
      { namespace: 'default', per_page: '1', next_token: 'default.b' },
      { namespace: 'default', per_page: '1', next_token: 'default.c' },
    ]);
  });

  it('reports nothing when the table moved between pages, so the next read starts over at once', async () => {
    const { client } = scriptedClient([
      { index: 7, nextToken: 'default.b', body: [row('a')] },
      { index: 8, nextToken: undefined, body: [row('c')] },
    ]);
    expect(await registrationsRead(context(client), 'default', 'web')(5, signal)).toEqual({
      index: 7,
      early: true,
    });
  });

  it('holds a blocking read until the gate opens, but not a first read', async () => {
    const { client, requests } = scriptedClient([
      { index: 3, nextToken: undefined, body: [] },
      { index: 4, nextToken: undefined, body: [] },
    ]);
    const gate = new Gate();
    const read = registrationsRead(context(client, gate), 'default', 'web');
    expect((await read(0, signal)).index).toBe(3);
    const blocking = read(3, signal);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(1);
    gate.open();
    expect((await blocking).index).toBe(4);
    expect(requests[1]?.query.index).toBe('3');
  });

  it('follows pages of the service list too, should Nomad send them', async () => {
    const { client, requests } = scriptedClient([
      {
        index: 9,
        nextToken: 'next',
        body: [{ Namespace: 'default', Services: [{ ServiceName: 'web', Tags: [] }] }],
      },
      {
        index: 9,
        nextToken: undefined,
        body: [{ Namespace: 'alpha', Services: [{ ServiceName: 'api', Tags: [] }] }],
      },
    ]);
    const result = await serviceListRead(context(client), '*')(0, signal);
    expect(result.value?.map((s) => `${s.namespace}/${s.name}`)).toEqual(['alpha/api', 'default/web']);
    expect(requests[1]?.query).toEqual({ namespace: '*', next_token: 'next' });
  });
});
