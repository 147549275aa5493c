import { isRedirect, redirectRefusal } from '../src';

describe('redirects', () => {
  it('tells redirects from other statuses', () => {
    expect([200, 299, 300, 301, 307, 308, 399, 400].map(isRedirect)).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('names the target, resolved against the request, and why it is not followed', () => {
    expect(
      redirectRefusal(
        'Nomad',
        307,
        'http://user:pw@other:4646/v1/services?index=42#x',
        'http://nomad:4646/v1/services',
      ),
    ).toBe(
      'Nomad answered 307 redirecting to http://other:4646/v1/services; redirects are not followed so the token is not sent elsewhere',
    );
    expect(
      redirectRefusal('the API server', 302, '/login?next=x', 'https://k8s:6443/api/v1/pods', 'credentials'),
    ).toBe(
      'the API server answered 302 redirecting to https://k8s:6443/login; redirects are not followed so the credentials are not sent elsewhere',
    );
  });

  it('shows a relative target as it came when the request URL is unknown', () => {
    expect(redirectRefusal('Consul', 302, '/elsewhere', undefined)).toBe(
      'Consul answered 302 redirecting to "/elsewhere"; redirects are not followed so the token is not sent elsewhere',
    );
    expect(redirectRefusal('Consul', 302, 'http://other/x?y', undefined)).toMatch(
      /redirecting to http:\/\/other\/x;/,
    );
  });

  it('says so when there is no target, and bounds a long one', () => {
    expect(redirectRefusal('Consul', 301, undefined, 'http://consul:8500/v1/agent/self')).toBe(
      'Consul answered 301, a redirect without a Location; redirects are not followed so the token is not sent elsewhere',
    );
    const long = redirectRefusal('Consul', 307, `http://x/${'a'.repeat(1000)}`, 'http://consul:8500/');
    expect(long).toMatch(
      /^Consul answered 307 redirecting to http:\/\/x\/a{191}…; redirects are not followed/,
    );
  });
});
