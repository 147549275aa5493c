import { portProtocol } from '../src/port-protocol';

describe('the protocol of a Service port, as Istio reads it', () => {
  const tcp = (name: string, appProtocol?: string) =>
    portProtocol({ name, protocol: 'TCP', ...(appProtocol !== undefined && { appProtocol }) });

  it.each([
    ['http', 'http'],
    ['http-web', 'http'],
    ['HTTP-Web', 'http'],
    ['http2', 'http2'],
    ['http2-api', 'http2'],
    ['grpc', 'grpc'],
    ['grpc-reviews', 'grpc'],
    ['grpc-web', 'http'],
    ['grpc-web-ui', 'http'],
    ['tcp-db', 'tcp'],
    ['https', 'tcp'],
    ['mongo', 'tcp'],
    ['web', 'tcp'],
    ['httpfoo', 'tcp'],
    ['', 'tcp'],
  ])('port name %j is %s', (name, protocol) => {
    expect(tcp(name)).toBe(protocol);
  });

  it.each([
    ['kubernetes.io/h2c', 'http2'],
    ['kubernetes.io/ws', 'http'],
    ['kubernetes.io/wss', 'tcp'],
    ['http', 'http'],
    ['grpc', 'grpc'],
    ['HTTP2', 'http2'],
    ['example.com/custom', 'tcp'],
  ])('appProtocol %j is %s, whatever the port is named', (appProtocol, protocol) => {
    expect(tcp('grpc-named-otherwise', appProtocol)).toBe(protocol);
  });

  it('does not proxy UDP or SCTP ports', () => {
    expect(portProtocol({ name: 'http', protocol: 'UDP' })).toBeUndefined();
    expect(portProtocol({ name: 'http', protocol: 'SCTP' })).toBeUndefined();
  });
});
