import { fleetTable } from '../src/commands/status';
import { fleetRows } from '../src/views/fleet-view';

/** `sextant status` reads /debug/proxies as the daemon returns it today, and its richer form. */

const NOW = Date.parse('2026-12-06T05:00:00Z');

/** A type as /debug/proxies shows it per stream today. */
function typeView(sent: string | null, acked: string | null, nack?: { nonce: string; message: string }) {
  const record = (nonce: string) => ({ version: 'v1', nonce, at: '2026-12-06T04:59:00.000Z' });
  return {
    wildcard: true,
    subscribed: 0,
    lastSent: sent === null ? null : { ...record(sent), resources: 3, removed: 0 },
    lastAcked: acked === null ? null : record(acked),
    lastNack: nack ? { ...record(nack.nonce), message: nack.message } : null,
    upToDate: sent !== null && sent === acked,
    staleRequests: 0,
  };
}

function stream(node: string, types: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    stream: 1,
    node,
    client: { kind: 'envoy', agent: 'envoy 1.31.2', cluster: 'web' },
    proxy: null,
    api: 'ADS',
    protocol: 'sotw',
    peer: '10.0.0.5:40312',
    connectedSince: '2026-12-06T04:55:00.000Z',
    connectedSeconds: 300,
    types,
    unsupportedTypes: [],
    waitingForClient: false,
    ...extra,
  };
}

describe('the fleet view of /debug/proxies', () => {
  it('tells SYNCED, STALE, NACKED (with the reason) and NOT SENT apart, per type', () => {
    const rows = fleetRows(
      {
        streams: [
          stream('sidecar~10.0.0.5~web-1~default', {
            cds: typeView('n1', 'n1'),
            lds: typeView('n2', 'n1'),
            rds: typeView('n3', 'n2', { nonce: 'n3', message: 'route: unknown cluster "x"' }),
          }),
        ],
      },
      NOW,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        name: 'sidecar~10.0.0.5~web-1~default',
        kind: 'envoy',
        address: '10.0.0.5:40312',
        types: { cds: 'SYNCED', lds: 'STALE', rds: 'NACKED', eds: 'NOT SENT' },
        nacks: { rds: 'route: unknown cluster "x"' },
        connectedSeconds: 300,
      }),
    ]);
    expect(fleetTable(rows, NOW)).toBe(
      [
        'NAME                            KIND   ADDRESS         CDS     LDS    RDS     EDS       AGE',
        'sidecar~10.0.0.5~web-1~default  envoy  10.0.0.5:40312  SYNCED  STALE  NACKED  NOT SENT  5m0s',
        '',
        'sidecar~10.0.0.5~web-1~default rejected RDS: route: unknown cluster "x"',
        '',
      ].join('\n'),
    );
  });

  it('does not call a type NACKED once a later response was acknowledged', () => {
    const [row] = fleetRows(
      { streams: [stream('a', { cds: typeView('n2', 'n2', { nonce: 'n1', message: 'old' }) })] },
      NOW,
    );
    expect(row?.types.cds).toBe('SYNCED');
    expect(row?.nacks).toEqual({});
  });

  it('shows one line per node, taking each type from the stream that serves it', () => {
    const rows = fleetRows(
      {
        streams: [
          stream('b', { cds: typeView('n1', 'n1') }, { api: 'CDS' }),
          stream('b', { eds: typeView('n1', null) }, { api: 'EDS', connectedSeconds: 20 }),
          stream('a', { lds: typeView('n1', 'n1') }),
        ],
      },
      NOW,
    );
    expect(rows.map((r) => [r.name, r.types])).toEqual([
      ['a', { cds: 'NOT SENT', lds: 'SYNCED', rds: 'NOT SENT', eds: 'NOT SENT' }],
      ['b', { cds: 'SYNCED', lds: 'NOT SENT', rds: 'NOT SENT', eds: 'STALE' }],
    ]);
    expect(rows[1]?.connectedSeconds).toBe(300);
  });

  it('reads the richer proxy form too: kind, address, status, last seen and a state per type', () => {
    const rows = fleetRows(
      {
        proxies: [
          {
            node: 'edge-1',
            kind: 'envoy-v1-rest',
            address: '10.0.0.9',
            userAgent: 'envoy/1.8.0',
            status: 'disconnected',
            connectedAt: '2026-12-06T04:00:00.000Z',
            lastSeen: '2026-12-06T04:59:30.000Z',
            types: {
              clusters: { served: 'v2', acked: 'v2', state: 'synced' },
              'type.googleapis.com/envoy.config.listener.v3.Listener': {
                served: 'v2',
                state: 'NACKED',
                nack: { message: 'bad listener' },
              },
            },
            somethingNew: { ignored: true },
          },
        ],
      },
      NOW,
    );
    expect(rows[0]).toMatchObject({
      kind: 'envoy-v1-rest',
      address: '10.0.0.9',
      status: 'disconnected',
      types: { cds: 'SYNCED', lds: 'NACKED', rds: 'NOT SENT', eds: 'NOT SENT' },
      nacks: { lds: 'bad listener' },
      connectedSeconds: 3600,
    });
    const [header, line] = fleetTable(rows, NOW).split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'KIND',
      'ADDRESS',
      'CDS',
      'LDS',
      'RDS',
      'EDS',
      'STATUS',
      'AGE',
      'LAST SEEN',
    ]);
    expect(line?.split(/\s{2,}/).slice(-3)).toEqual(['disconnected', '1h0m', '30s ago']);
  });

  it('keeps what a client sent out of the terminal: control characters and overlong names', () => {
    const [row] = fleetRows({ streams: [stream(`evil\u001b[2J${'x'.repeat(300)}`, {})] }, NOW);
    const table = fleetTable(row ? [row] : [], NOW);
    expect(table).not.toContain('\u001b');
    expect(table.split('\n')[1]?.split('  ')[0]?.length).toBeLessThanOrEqual(120);
  });

  it('refuses an answer that is not a proxies view, and says there is none when no proxy is connected', () => {
    expect(() => fleetRows({ hello: 1 }, NOW)).toThrow('has no "clients"');
    expect(fleetTable(fleetRows({ streams: [] }, NOW), NOW)).toBe('No proxies connected.\n');
  });
});
