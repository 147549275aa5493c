import { parseProxyIdentity, ProxyIdentityError } from '../src';

describe('proxy identity', () => {
  it('parses the Istio form', () => {
    expect(parseProxyIdentity('sidecar~10.0.0.5~reviews-v1.default~default.svc.cluster.local')).toEqual({
      raw: 'sidecar~10.0.0.5~reviews-v1.default~default.svc.cluster.local',
      type: 'sidecar',
      ip: '10.0.0.5',
      id: 'reviews-v1.default',
      domain: 'default.svc.cluster.local',
    });
    expect(parseProxyIdentity('router~fd00::1~gw~').type).toBe('router');
    expect(parseProxyIdentity('ingress~10.0.0.9~ing~svc.cluster.local').ip).toBe('10.0.0.9');
  });

  it('accepts a bare name as a sidecar without local instances', () => {
    expect(parseProxyIdentity('frontend-7')).toEqual({
      raw: 'frontend-7',
      type: 'sidecar',
      id: 'frontend-7',
      domain: '',
    });
  });

  it('decodes a percent-encoded identity', () => {
    expect(parseProxyIdentity('sidecar%7E10.0.0.5%7Ea%7Eb').id).toBe('a');
  });

  it.each([
    ['sidecar~10.0.0.5~id', 'format', '4 parts'],
    ['sidecar~10.0.0.5~id~d~x', 'format', 'got 5'],
    ['gateway~10.0.0.5~id~d', 'type', 'sidecar, router, ingress'],
    ['egress~10.0.0.5~id~d', 'type', 'got "egress"'],
    ['sidecar~10.0.0~id~d', 'ip', 'not an IP'],
    ['sidecar~host.local~id~d', 'ip', 'not an IP'],
    ['sidecar~10.0.0.5~~d', 'id', 'non-empty'],
    ['', 'format', 'empty'],
    ['has space', 'format', 'spaces'],
  ])('rejects %j, naming the %s part', (input, part, reason) => {
    let error: unknown;
    try {
      parseProxyIdentity(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProxyIdentityError);
    expect((error as ProxyIdentityError).part).toBe(part);
    expect((error as ProxyIdentityError).message).toContain(reason);
  });
});
