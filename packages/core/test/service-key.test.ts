import { formatServiceKey, parseServiceKey, ServiceKeyError, labelsMatch } from '../src';

describe('service key', () => {
  it.each([
    [
      'reviews.default.svc.cluster.local|http',
      { hostname: 'reviews.default.svc.cluster.local', portName: 'http', labels: {} },
    ],
    [
      'web.service.dc1.consul|http|version=v2',
      { hostname: 'web.service.dc1.consul', portName: 'http', labels: { version: 'v2' } },
    ],
    [
      'api|grpc|env=prod,version=v1',
      { hostname: 'api', portName: 'grpc', labels: { env: 'prod', version: 'v1' } },
    ],
    ['db|5432|canary', { hostname: 'db', portName: '5432', labels: { canary: '' } }],
  ])('parses and formats %s', (text, key) => {
    expect(parseServiceKey(text)).toEqual(key);
    expect(formatServiceKey(parseServiceKey(text))).toBe(text);
  });

  it('sorts labels by key when formatting', () => {
    expect(formatServiceKey({ hostname: 'a.b', portName: 'http', labels: { z: '1', a: '2', m: '3' } })).toBe(
      'a.b|http|a=2,m=3,z=1',
    );
  });

  it('accepts percent-encoded keys as Envoy never sends them but browsers and curl do', () => {
    expect(parseServiceKey('reviews.default%7Chttp%7Cversion%3Dv2')).toEqual({
      hostname: 'reviews.default',
      portName: 'http',
      labels: { version: 'v2' },
    });
    expect(parseServiceKey('reviews.default%7chttp')).toEqual(parseServiceKey('reviews.default|http'));
  });

  it.each([
    ['reviews', 'expected <hostname>|<portName>'],
    ['reviews|http|a=1|b', 'expected <hostname>|<portName>'],
    ['|http', 'hostname'],
    ['bad host|http', 'hostname'],
    ['reviews|', 'port name'],
    ['reviews|http|a=1,a=2', 'appears twice'],
    ['reviews|http|=v', 'is not k=v'],
    ['reviews%ZZ|http', 'percent-encoding'],
  ])('rejects %s naming what is wrong', (text, reason) => {
    expect(() => parseServiceKey(text)).toThrow(ServiceKeyError);
    expect(() => parseServiceKey(text)).toThrow(reason);
  });

  it('refuses to format labels that would make the key ambiguous', () => {
    expect(() => formatServiceKey({ hostname: 'a', portName: 'p', labels: { k: 'x|y' } })).toThrow(
      ServiceKeyError,
    );
    expect(() => formatServiceKey({ hostname: 'a', portName: 'p', labels: { k: 'x,y' } })).toThrow(
      ServiceKeyError,
    );
  });

  it('matches subsets by label inclusion', () => {
    expect(labelsMatch({ version: 'v1' }, { version: 'v1', app: 'x' })).toBe(true);
    expect(labelsMatch({ version: 'v1' }, { version: 'v2' })).toBe(false);
    expect(labelsMatch({ version: 'v1' }, {})).toBe(false);
    expect(labelsMatch({}, { anything: 'x' })).toBe(true);
  });

  it.each([
    'svc|http|constructor=a',
    'svc|http|toString',
    'svc|http|__proto__=x',
    'svc|http|__proto__=x,constructor=y,hasOwnProperty=z,toString,valueOf=w',
  ])('takes label names that are also object member names as plain labels: %s', (text) => {
    const key = parseServiceKey(text);
    expect(Object.getPrototypeOf(key.labels)).toBe(Object.prototype);
    expect(formatServiceKey(key)).toBe(text);
    expect(formatServiceKey(parseServiceKey(formatServiceKey(key)))).toBe(text);
  });

  it('still refuses a member-named label given twice', () => {
    expect(() => parseServiceKey('svc|http|constructor=a,constructor=b')).toThrow('appears twice');
  });

  it('matches subsets on own labels only', () => {
    expect(labelsMatch(parseServiceKey('svc|http|constructor=a').labels, { constructor: 'a' } as never)).toBe(
      true,
    );
    expect(labelsMatch(parseServiceKey('svc|http|toString').labels, { version: 'v1' })).toBe(false);
    expect(labelsMatch(parseServiceKey('svc|http|__proto__').labels, {})).toBe(false);
  });

  it('keeps a long or multi-line key out of its own error message', () => {
    const input = `${'a'.repeat(20_000)}\r\nX-Injected: 1|http`;
    let message = '';
    try {
      parseServiceKey(input);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^invalid service key "a+… \(\d+ more characters\)": hostname "a+… \(\d+ more characters\)" is not a valid name$/,
    );
    expect(message.length).toBeLessThan(1000);
  });
});
