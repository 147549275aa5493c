import {
  k8sEndpointSlice,
  k8sNode,
  k8sPod,
  k8sService,
  type EndpointSliceSpec,
} from '@sextant/testkit/kubernetes';
import { ClusterState } from '../src/cluster-state';
import { projectEndpointSlice, projectNode, projectPod, projectService } from '../src/projections';

/** The join of the four kinds: which services a change marks dirty, and what a service is built from. */
describe('cluster state', () => {
  let state: ClusterState;
  beforeEach(() => {
    state = new ClusterState({ clusterDomain: 'cluster.local', clusterName: 'east' });
  });

  const putService = (name: string) => {
    const keyed = projectService(k8sService({ name, ports: [{ name: 'http', port: 80 }] }));
    if (keyed) state.services.put(keyed.key, keyed.view);
  };
  const putSlice = (spec: Partial<EndpointSliceSpec> & { name: string; service: string }) => {
    const keyed = projectEndpointSlice(
      k8sEndpointSlice({ endpoints: [], ports: [{ name: 'http', port: 8080 }], ...spec }),
    );
    if (keyed) state.slices.put(keyed.key, keyed.view);
  };
  const putPod = (name: string, labels: Record<string, string>) => {
    const keyed = projectPod(k8sPod({ name, labels }));
    if (keyed) state.pods.put(keyed.key, keyed.view);
  };

  it('marks the services whose endpoints a pod backs, and no others, when the pod changes', () => {
    putService('web');
    putService('api');
    putSlice({ name: 'web-1', service: 'web', endpoints: [{ address: '10.0.0.1', pod: 'p1' }] });
    putSlice({ name: 'api-1', service: 'api', endpoints: [{ address: '10.0.0.2', pod: 'p2' }] });
    state.takeDirty();
    putPod('p1', { version: 'v2' });
    expect(state.takeDirty()).toEqual(['default/web']);
    expect(state.build('default/web')?.instances[0]?.labels).toEqual({
      version: 'v2',
      'topology.istio.io/cluster': 'east',
    });
  });

  it('keeps a pod indexed while any slice of the service still names it', () => {
    putService('web');
    putSlice({ name: 'web-v4', service: 'web', endpoints: [{ address: '10.0.0.1', pod: 'p1' }] });
    putSlice({
      name: 'web-v6',
      service: 'web',
      addressType: 'IPv6',
      endpoints: [{ address: 'fd00::1', pod: 'p1' }],
    });
    state.slices.delete('default/web-v4');
    state.takeDirty();
    putPod('p1', { version: 'v3' });
    expect(state.takeDirty()).toEqual(['default/web']);
    state.slices.delete('default/web-v6');
    state.takeDirty();
    putPod('p1', { version: 'v4' });
    expect(state.takeDirty()).toEqual([]);
  });

  it('marks both services when a slice moves from one to another', () => {
    putService('web');
    putService('api');
    putSlice({ name: 'shared', service: 'web', endpoints: [{ address: '10.0.0.1' }] });
    state.takeDirty();
    putSlice({ name: 'shared', service: 'api', endpoints: [{ address: '10.0.0.1' }] });
    expect(state.takeDirty().sort()).toEqual(['default/api', 'default/web']);
    expect(state.build('default/web')?.instances).toEqual([]);
    expect(state.build('default/api')?.instances).toHaveLength(1);
  });

  it('marks the services on a node when its region changes', () => {
    putService('web');
    putSlice({
      name: 'web-1',
      service: 'web',
      endpoints: [{ address: '10.0.0.1', nodeName: 'n1', zone: 'z1' }],
    });
    state.takeDirty();
    const node = projectNode(k8sNode({ name: 'n1', region: 'r1' }));
    if (node) state.nodes.put(node.key, node.view);
    expect(state.takeDirty()).toEqual(['default/web']);
    expect(state.build('default/web')?.instances[0]?.locality).toEqual({ region: 'r1', zone: 'z1' });
  });

  it('builds nothing for a slice whose Service is unknown, until the Service comes', () => {
    putSlice({ name: 'web-1', service: 'web', endpoints: [{ address: '10.0.0.1' }] });
    expect(state.build('default/web')).toBeUndefined();
    putService('web');
    expect(state.build('default/web')?.instances).toHaveLength(1);
  });

  it('ignores a write that changes no view', () => {
    putService('web');
    state.takeDirty();
    putService('web');
    putPod('p1', { app: 'web' });
    putPod('p1', { app: 'web' });
    expect(state.takeDirty()).toEqual([]);
  });
});
