import { HostnameTemplate, ServiceSelection } from '@sextant/adapter-kit';
import { fixtureRegistrations } from '@sextant/testkit/nomad';
import { toMeshService } from '../src/mesh/to-mesh-service';
import { parseRegistrations, type Registration } from '../src/nomad/wire';
import type { MappingSettings } from '../src/settings';

const settings: MappingSettings = {
  hostname: new HostnameTemplate('{service}.{namespace}.nomad'),
  selection: new ServiceSelection(),
  defaultProtocol: 'http',
  servicePort: 80,
  region: undefined,
};

let nextAlloc = 0;
/** A registration of `web` at `address:port` with these tags. */
function registration(
  address: string,
  port: number,
  tags: string[] = [],
  extra: Partial<Registration> = {},
): Registration {
  nextAlloc += 1;
  return {
    id: `_nomad-task-a${String(nextAlloc).padStart(3, '0')}-group-web-web-http`,
    service: 'web',
    namespace: 'default',
    nodeId: 'node-1',
    datacenter: 'dc1',
    jobId: 'web',
    allocId: `a${nextAlloc}`,
    tags: [...tags].sort(),
    address,
    port,
    ...extra,
  };
}

describe('toMeshService', () => {
  it('maps the fixture registrations of web to one http port with two healthy instances', () => {
    const web = parseRegistrations(fixtureRegistrations.filter((r) => r.ServiceName === 'web'));
    const mapped = toMeshService('web.default.nomad', web, { ...settings, region: 'global' });
    expect(mapped?.service).toEqual({
      hostname: 'web.default.nomad',
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
    });
    expect(mapped?.instances).toEqual([
      {
        address: '10.0.1.11',
        port: 8080,
        portName: 'http',
        labels: {
          'tag.http': 'true',
          'tag.v1': 'true',
          'nomad.AllocID': '3d4f8a1c-6b2e-9c0d-4e1f-a2b3c4d5e6f7',
          'nomad.JobID': 'web',
          'nomad.NodeID': '0b7c5f2e-1a3d-4e6f-8a9b-c0d1e2f3a4b5',
        },
        locality: { region: 'global', zone: 'dc1' },
        health: 'healthy',
      },
      expect.objectContaining({ address: '10.0.1.12', port: 8080, health: 'healthy' }),
    ]);
    expect(mapped?.notes).toEqual([]);
  });

  it('turns key=value tags into labels and other tags into tag.<t>=true, the first value of a key winning', () => {
    const mapped = toMeshService(
      'web.default.nomad',
      [registration('10.0.0.1', 1, ['version=v2', 'canary', 'team=a=b', 'version=v1', '=odd'])],
      settings,
    );
    expect(mapped?.instances[0]?.labels).toMatchObject({
      version: 'v1',
      team: 'a=b',
      'tag.canary': 'true',
      'tag.=odd': 'true',
    });
  });

  it('names the port after the protocol tag, dials the port tag, and falls back to the defaults', () => {
    const grpc = toMeshService(
      'api.default.nomad',
      [registration('10.0.0.1', 21000, ['protocol=grpc', 'port=9090'])],
      settings,
    );
    expect(grpc?.service.ports).toEqual([{ name: 'grpc', port: 9090, protocol: 'grpc' }]);
    expect(grpc?.instances[0]).toMatchObject({ port: 21000, portName: 'grpc' });
    const plain = toMeshService('db.default.nomad', [registration('10.0.0.1', 5432)], {
      ...settings,
      defaultProtocol: 'tcp',
      servicePort: 5432,
    });
    expect(plain?.service.ports).toEqual([{ name: 'tcp', port: 5432, protocol: 'tcp' }]);
  });

  it('lets the most common protocol and port win when registrations disagree, and says so', () => {
    const mapped = toMeshService(
      'api.default.nomad',
      [
        registration('10.0.0.1', 1, ['protocol=grpc']),
        registration('10.0.0.2', 2, ['protocol=http2']),
        registration('10.0.0.3', 3, ['protocol=grpc']),
        registration('10.0.0.4', 4, ['protocol=quic', 'port=http']),
      ],
      settings,
    );
    expect(mapped?.service.ports).toEqual([{ name: 'grpc', port: 80, protocol: 'grpc' }]);
    expect(mapped?.instances.map((i) => i.portName)).toEqual(['grpc', 'grpc', 'grpc', 'grpc']);
    expect(mapped?.notes).toEqual([
      expect.stringMatching(
        /^registration _nomad-task-\S+: tag protocol=quic is not one of http, http2, grpc, tcp; taking http$/,
      ),
      'registrations disagree on the protocol (grpc: 2, http: 1, http2: 1); serving grpc',
      expect.stringMatching(/^registration _nomad-task-\S+: tag port=http is not a port number; taking 80$/),
    ]);
  });

  it('breaks a tie by protocol order (http first) and by the lower port', () => {
    const mapped = toMeshService(
      'api.default.nomad',
      [
        registration('10.0.0.1', 1, ['protocol=grpc', 'port=9090']),
        registration('10.0.0.2', 2, ['protocol=http', 'port=8080']),
      ],
      settings,
    );
    expect(mapped?.service.ports).toEqual([{ name: 'http', port: 8080, protocol: 'http' }]);
  });

  it('collapses registrations at the same address and port into one instance, keeping the first by ID', () => {
    const first = registration('10.0.0.1', 8080, [], { allocId: 'first' });
    const ghost = registration('10.0.0.1', 8080, [], { allocId: 'ghost' });
    const mapped = toMeshService(
      'web.default.nomad',
      [first, ghost, registration('10.0.0.1', 8081)],
      settings,
    );
    expect(mapped?.instances.map((i) => `${i.address}:${i.port} ${i.labels?.['nomad.AllocID']}`)).toEqual([
      '10.0.0.1:8080 first',
      expect.stringMatching(/^10\.0\.0\.1:8081 /),
    ]);
  });

  it('keeps only selected registrations, and maps a service with none to nothing', () => {
    const selection = new ServiceSelection({ includeTags: ['mesh*'], excludeTags: ['canary'] });
    const regs = [
      registration('10.0.0.1', 1, ['mesh-v1']),
      registration('10.0.0.2', 2, ['mesh-v1', 'canary']),
      registration('10.0.0.3', 3, []),
    ];
    expect(
      toMeshService('web.default.nomad', regs, { ...settings, selection })?.instances.map((i) => i.address),
    ).toEqual(['10.0.0.1']);
    expect(toMeshService('web.default.nomad', regs.slice(1), { ...settings, selection })).toBeUndefined();
    expect(toMeshService('web.default.nomad', [], settings)).toBeUndefined();
  });

  it('leaves the zone out when a registration has no datacenter', () => {
    const mapped = toMeshService(
      'web.default.nomad',
      [registration('10.0.0.1', 1, [], { datacenter: '' })],
      settings,
    );
    expect(mapped?.instances[0]?.locality).toEqual({});
  });
});
