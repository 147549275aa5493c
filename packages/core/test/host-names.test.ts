import { hostnameAliases } from '../src';

describe('hostname aliases', () => {
  it('offers the short forms a client in the same namespace uses', () => {
    expect(hostnameAliases('reviews.default.svc.cluster.local', 'default.svc.cluster.local')).toEqual([
      'reviews',
      'reviews.default',
      'reviews.default.svc',
      'reviews.default.svc.cluster',
      'reviews.default.svc.cluster.local',
    ]);
  });

  it('keeps the namespace for a service in another namespace', () => {
    expect(hostnameAliases('ratings.prod.svc.cluster.local', 'default.svc.cluster.local')[0]).toBe(
      'ratings.prod',
    );
  });

  it('offers only the FQDN when nothing is shared or the proxy has no domain', () => {
    expect(hostnameAliases('web.service.dc1.consul', 'default.svc.cluster.local')).toEqual([
      'web.service.dc1.consul',
    ]);
    expect(hostnameAliases('web.service.dc1.consul', '')).toEqual(['web.service.dc1.consul']);
  });

  it('never reduces a name to nothing', () => {
    expect(hostnameAliases('cluster.local', 'svc.cluster.local')).toEqual(['cluster', 'cluster.local']);
  });
});
