import { k8sEndpointSlice, k8sService, type EndpointSliceSpec } from '@sextant/testkit/kubernetes';
import {
  projectEndpointSlice,
  projectNode,
  projectService,
  type ServiceView,
  type SliceView,
} from '../src/projections';
import { CLUSTER_LABEL, endpointHealth, toInstances, type EndpointContext } from '../src/to-instances';
import { toServiceInput } from '../src/to-service-input';
import { FIXTURE_PODS, fixture, type FixtureList } from './support/fixture-world';

const services = fixture<FixtureList>('k8s-service.json').items;
const slices = fixture<FixtureList>('k8s-endpointslice.json').items;

const context: EndpointContext = {
  pod: (key) => FIXTURE_PODS[key.replace(/^default\//, '')],
  node: (name) =>
    ({ 'node-a': { region: 'eu-west-1', zone: 'zone-a' }, 'node-b': { region: 'eu-west-1' } })[name],
  clusterName: 'east',
};

const serviceView = (object: unknown): ServiceView => {
  const keyed = projectService(object);
  if (!keyed) throw new Error('not a service');
  return keyed.view;
};
const sliceView = (object: unknown): SliceView => {
  const keyed = projectEndpointSlice(object);
  if (!keyed) throw new Error('not a slice');
  return keyed.view;
};
const slice = (spec: Partial<EndpointSliceSpec>): SliceView =>
  sliceView(k8sEndpointSlice({ name: 'web-x', service: 'web', endpoints: [], ports: [], ...spec }));

describe('mapping Kubernetes objects to the model', () => {
  describe('the fixture world', () => {
    const web = serviceView(services[1]);
    const api = serviceView(services[0]);

    it('names services <name>.<namespace>.svc.<clusterDomain>, with their ClusterIP as VIP', () => {
      expect(toServiceInput(web, 'cluster.local')).toEqual({
        hostname: 'web.default.svc.cluster.local',
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        labels: { app: 'web', 'sextant.io/version': 'v1' },
        addresses: ['10.96.120.15'],
      });
      expect(toServiceInput(api, 'corp.example')?.hostname).toBe('api.default.svc.corp.example');
      expect(toServiceInput(api, 'cluster.local')?.ports).toEqual([
        { name: 'grpc', port: 9090, protocol: 'http2' },
      ]);
    });

    it('maps ready to healthy, serving and terminating to draining, anything else to unhealthy', () => {
      const instances = toInstances(web, [sliceView(slices[1])], context);
      expect(instances.map((i) => [i.address, i.port, i.portName, i.health])).toEqual([
        ['10.0.1.11', 8080, 'http', 'healthy'],
        ['10.0.1.12', 8080, 'http', 'draining'],
        ['10.0.1.13', 8080, 'http', 'unhealthy'],
      ]);
    });

    it('labels instances from their pods, adds the cluster, and locates them by zone and node region', () => {
      const [first] = toInstances(web, [sliceView(slices[1])], context);
      expect(first?.labels).toEqual({ ...FIXTURE_PODS['web-6d8f9c7b5-h2kxp'], [CLUSTER_LABEL]: 'east' });
      expect(first?.locality).toEqual({ region: 'eu-west-1', zone: 'zone-a' });
      const onNodeB = toInstances(web, [sliceView(slices[1])], context)[1];
      expect(onNodeB?.locality).toEqual({ region: 'eu-west-1', zone: 'zone-b' });
    });

    it('ignores slices of other services', () => {
      expect(toInstances(api, [sliceView(slices[0])], context).map((i) => i.address)).toEqual(['10.0.2.21']);
    });
  });

  describe('ports', () => {
    it('names an unnamed port after its number, and matches it to the slice’s unnamed port', () => {
      const svc = serviceView(k8sService({ name: 'web', ports: [{ port: 80, targetPort: 8080 }] }));
      expect(toServiceInput(svc, 'cluster.local')?.ports).toEqual([
        { name: '80', port: 80, protocol: 'tcp' },
      ]);
      const instances = toInstances(
        svc,
        [slice({ endpoints: [{ address: '10.0.0.1' }], ports: [{ port: 8080 }] })],
        context,
      );
      expect(instances.map((i) => `${i.portName} ${i.address}:${i.port}`)).toEqual(['80 10.0.0.1:8080']);
    });

    it('gives a named targetPort resolving to two numbers two sets of instances', () => {
      const svc = serviceView(
        k8sService({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }),
      );
      const instances = toInstances(
        svc,
        [
          slice({
            endpoints: [{ address: '10.0.1.11' }, { address: '10.0.1.12' }],
            ports: [{ name: 'http', port: 8080 }],
          }),
          slice({ endpoints: [{ address: '10.0.1.14' }], ports: [{ name: 'http', port: 8081 }] }),
        ],
        context,
      );
      expect(instances.map((i) => `${i.address}:${i.port}`)).toEqual([
        '10.0.1.11:8080',
        '10.0.1.12:8080',
        '10.0.1.14:8081',
      ]);
    });

    it('uses a numeric targetPort when a hand-made slice leaves the port out', () => {
      const svc = serviceView(
        k8sService({ name: 'web', selector: null, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      );
      const instances = toInstances(
        svc,
        [slice({ endpoints: [{ address: '10.0.0.1' }], ports: [{ name: 'http' }] })],
        context,
      );
      expect(instances.map((i) => i.port)).toEqual([8080]);
    });

    it('leaves UDP ports out, of the service and of its instances', () => {
      const svc = serviceView(
        k8sService({
          name: 'dns',
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53 },
          ],
        }),
      );
      expect(toServiceInput(svc, 'cluster.local')?.ports).toEqual([
        { name: 'dns-tcp', port: 53, protocol: 'tcp' },
      ]);
      const instances = toInstances(
        svc,
        [
          slice({
            endpoints: [{ address: '10.0.0.1' }],
            ports: [
              { name: 'dns', port: 53, protocol: 'UDP' },
              { name: 'dns-tcp', port: 53 },
            ],
          }),
        ],
        context,
      );
      expect(instances.map((i) => i.portName)).toEqual(['dns-tcp']);
    });
  });

  describe('kinds of services and slices', () => {
    it('keeps a headless service’s instances and gives it no VIP', () => {
      const svc = serviceView(
        k8sService({ name: 'db', clusterIP: 'None', ports: [{ name: 'tcp-pg', port: 5432 }] }),
      );
      expect(toServiceInput(svc, 'cluster.local')?.addresses).toEqual([]);
      const instances = toInstances(
        svc,
        [slice({ endpoints: [{ address: '10.0.0.7' }], ports: [{ name: 'tcp-pg', port: 5432 }] })],
        context,
      );
      expect(instances).toHaveLength(1);
    });

    it('skips ExternalName services', () => {
      const svc = serviceView(
        k8sService({ name: 'ext', type: 'ExternalName', externalName: 'db.example.com', ports: [] }),
      );
      expect(toServiceInput(svc, 'cluster.local')).toBeUndefined();
    });

    it('gives a dual-stack service both VIPs and the instances of both address families', () => {
      const svc = serviceView(
        k8sService({
          name: 'web',
          clusterIPs: ['10.96.0.10', 'fd00:10:96::a'],
          ports: [{ name: 'http', port: 80 }],
        }),
      );
      expect(toServiceInput(svc, 'cluster.local')?.addresses).toEqual(['10.96.0.10', 'fd00:10:96::a']);
      const instances = toInstances(
        svc,
        [
          slice({
            addressType: 'IPv4',
            endpoints: [{ address: '10.0.0.1' }],
            ports: [{ name: 'http', port: 8080 }],
          }),
          slice({
            addressType: 'IPv6',
            endpoints: [{ address: 'fd00::1' }],
            ports: [{ name: 'http', port: 8080 }],
          }),
          slice({
            addressType: 'FQDN',
            endpoints: [{ address: 'web.example.com' }],
            ports: [{ name: 'http', port: 8080 }],
          }),
        ],
        context,
      );
      expect(instances.map((i) => i.address)).toEqual(['10.0.0.1', 'fd00::1']);
    });

    it('de-duplicates an address in two slices, keeping the healthiest', () => {
      const svc = serviceView(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      const instances = toInstances(
        svc,
        [
          slice({
            endpoints: [{ address: '10.0.0.1', ready: false }],
            ports: [{ name: 'http', port: 8080 }],
          }),
          slice({ endpoints: [{ address: '10.0.0.1' }], ports: [{ name: 'http', port: 8080 }] }),
        ],
        context,
      );
      expect(instances.map((i) => `${i.address} ${i.health}`)).toEqual(['10.0.0.1 healthy']);
    });

    it('has no instances for a slice with endpoints: null or ports: null', () => {
      const svc = serviceView(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      expect(
        toInstances(svc, [slice({ endpoints: null, ports: [{ name: 'http', port: 8080 }] })], context),
      ).toEqual([]);
      expect(
        toInstances(svc, [slice({ endpoints: [{ address: '10.0.0.1' }], ports: null })], context),
      ).toEqual([]);
    });
  });

  describe('endpoint conditions', () => {
    it('reads missing conditions as ready', () => {
      const view = slice({
        endpoints: [{ address: '10.0.0.1', omitConditions: true }],
        ports: [{ name: 'http', port: 80 }],
      });
      expect(view.endpoints[0]).toMatchObject({ ready: true, serving: true, terminating: false });
    });

    it('defers a missing serving to ready, as the API says', () => {
      const raw = k8sEndpointSlice({
        name: 's',
        service: 'web',
        endpoints: [{ address: '10.0.0.1' }],
        ports: [],
      });
      (raw.endpoints as { conditions: object }[])[0]!.conditions = { ready: false, terminating: true };
      expect(sliceView(raw).endpoints[0]).toMatchObject({ ready: false, serving: false, terminating: true });
    });

    it.each([
      [{ ready: true, serving: true, terminating: false }, 'healthy'],
      [{ ready: true, serving: true, terminating: true }, 'healthy'],
      [{ ready: false, serving: true, terminating: true }, 'draining'],
      [{ ready: false, serving: false, terminating: true }, 'unhealthy'],
      [{ ready: false, serving: true, terminating: false }, 'unhealthy'],
    ] as const)('%j is %s', (conditions, health) => {
      expect(endpointHealth(conditions)).toBe(health);
    });
  });

  it('reads a node’s region, zone and subzone from its topology labels', () => {
    expect(
      projectNode({
        metadata: {
          name: 'n1',
          labels: {
            'topology.kubernetes.io/region': 'us-east-1',
            'topology.kubernetes.io/zone': 'us-east-1a',
            'topology.istio.io/subzone': 'rack-7',
          },
        },
      }),
    ).toEqual({ key: 'n1', view: { region: 'us-east-1', zone: 'us-east-1a', subzone: 'rack-7' } });
    expect(
      projectNode({ metadata: { name: 'old', labels: { 'failure-domain.beta.kubernetes.io/region': 'r' } } })
        ?.view,
    ).toEqual({ region: 'r' });
  });
});
