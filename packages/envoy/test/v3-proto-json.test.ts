import { envoyProtos, MAX_MESSAGE_DEPTH, parseMessage, printMessage, ProtoJsonError } from '../src';

const protos = envoyProtos();
const request = protos.discoveryRequest;

/** JSON → message → JSON, as a REST-JSON request is read and would be written. */
function roundTrip(typeName: string, json: unknown): unknown {
  const type = protos.root.lookupType(typeName);
  return printMessage(type, type.decode(type.encode(type.fromObject(parseMessage(type, json))).finish()));
}

function parseError(json: unknown): string {
  try {
    parseMessage(request, json);
  } catch (error) {
    if (error instanceof ProtoJsonError) return error.message;
    throw error;
  }
  throw new Error('parsed');
}

describe('proto3 JSON', () => {
  it('reads a DiscoveryRequest as Envoy posts it, with either spelling of field names', () => {
    const json = {
      versionInfo: '42',
      node: {
        id: 'sidecar~10.0.0.1~a~b',
        cluster: 'c',
        metadata: { ISTIO_VERSION: '1.0', labels: { app: 'x' }, n: 2, ok: true, none: null, list: [1, 'a'] },
        locality: { region: 'r', sub_zone: 's' },
        userAgentName: 'envoy',
        user_agent_build_version: { version: { major_number: 1, minor_number: 31, patch: 2 } },
      },
      resource_names: ['a', 'b'],
      typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      error_detail: {
        code: 3,
        message: 'bad',
        details: [{ '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.5s' }],
      },
    };
    expect(roundTrip('envoy.service.discovery.v3.DiscoveryRequest', json)).toEqual({
      version_info: '42',
      node: {
        id: 'sidecar~10.0.0.1~a~b',
        cluster: 'c',
        metadata: { ISTIO_VERSION: '1.0', labels: { app: 'x' }, n: 2, ok: true, none: null, list: [1, 'a'] },
        locality: { region: 'r', sub_zone: 's' },
        user_agent_name: 'envoy',
        user_agent_build_version: { version: { major_number: 1, minor_number: 31, patch: 2 } },
      },
      resource_names: ['a', 'b'],
      type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      error_detail: {
        code: 3,
        message: 'bad',
        details: [{ '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.500s' }],
      },
    });
  });

  it('writes durations, wrappers, enums and 64-bit integers as the mapping says', () => {
    expect(
      roundTrip('envoy.config.cluster.v3.Cluster', {
        name: 'c',
        type: 'EDS',
        connect_timeout: '0.000250s',
        per_connection_buffer_limit_bytes: 1024,
        max_requests_per_connection: 7,
        lb_policy: 'ROUND_ROBIN',
        dns_refresh_rate: '-1s',
      }),
    ).toEqual({
      name: 'c',
      type: 'EDS',
      connect_timeout: '0.000250s',
      per_connection_buffer_limit_bytes: 1024,
      max_requests_per_connection: 7,
      dns_refresh_rate: '-1s',
    });
    expect(roundTrip('envoy.config.core.v3.RuntimeUInt32', { default_value: 3, runtime_key: 'k' })).toEqual({
      default_value: 3,
      runtime_key: 'k',
    });
    expect(
      roundTrip('envoy.config.cluster.v3.Cluster.CommonLbConfig', { update_merge_window: '2s' }),
    ).toEqual({
      update_merge_window: '2s',
    });
  });

  it('says which field is wrong and why', () => {
    expect(parseError([])).toBe('expected an object, got a list');
    expect(parseError({ node: { id: 5 } })).toBe('node.id: expected a string, got number 5');
    expect(parseError({ resource_names: 'a' })).toBe('resource_names: expected a list, got "a"');
    expect(parseError({ resource_names: ['a', 3] })).toBe(
      'resource_names[1]: expected a string, got number 3',
    );
    expect(parseError({ node: { user_agent_version: 'x', user_agent_build_version: {} } })).toMatch(
      /^node.user_agent_build_version: "user_agent_version" is already set/,
    );
    expect(parseError({ error_detail: { code: '3x' } })).toBe(
      'error_detail.code: expected an integer, got "3x"',
    );
    expect(parseError({ error_detail: { code: 2 ** 40 } })).toBe(
      `error_detail.code: ${2 ** 40} is out of range for int32`,
    );
    expect(parseError({ error_detail: { details: [{ '@type': 'type.googleapis.com/nope.Nope' }] } })).toBe(
      'error_detail.details[0].@type: unknown message type "type.googleapis.com/nope.Nope"',
    );
  });

  describe('nesting', () => {
    /** A JSON object nested `levels` deep: {"a":{"a":…{"a":"leaf"}}}. */
    const nested = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i += 1) value = { a: value };
      return value;
    };
    /** An Any packing an Any… `levels` times, around a Duration. */
    const anyChain = (levels: number): unknown => {
      let value: unknown = { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' };
      for (let i = 0; i < levels; i += 1)
        value = { '@type': 'type.googleapis.com/google.protobuf.Any', value };
      return value;
    };

    it('refuses node.metadata nested past the limit with a ProtoJsonError naming where, however deep', () => {
      for (const levels of [50, 60, 1000, 200_000]) {
        const message = parseError({ node: { id: 'n', metadata: nested(levels) } });
        expect(message).toMatch(
          /^node\.metadata(\.a)+.*: nested too deeply \(more than 100 levels of messages\)$/,
        );
        expect(message.length).toBeLessThan(1000);
      }
    });

    it('refuses a deep chain of Anys', () => {
      for (const levels of [120, 100_000]) {
        const message = parseError({ error_detail: { message: 'x', details: [anyChain(levels)] } });
        expect(message).toMatch(/^error_detail\.details\[0\](\.value)+.*: nested too deeply/);
      }
    });

    it('accepts what protobufjs can encode, decode and convert: the limit is reached in our parser first', () => {
      let deepest = 0;
      for (let levels = 1; levels < MAX_MESSAGE_DEPTH; levels += 1) {
        try {
          parseMessage(request, { node: { id: 'n', metadata: nested(levels) } });
          deepest = levels;
        } catch (error) {
          expect(error).toBeInstanceOf(ProtoJsonError);
          break;
        }
      }
      // DiscoveryRequest, Node, then a Struct and a Value per level of JSON.
      expect(deepest).toBe((MAX_MESSAGE_DEPTH - 2) / 2);
      const parsed = parseMessage(request, { node: { id: 'n', metadata: nested(deepest) } });
      const options = {
        longs: String,
        enums: String,
        defaults: true,
        arrays: true,
        objects: true,
        oneofs: true,
      };
      const decoded = request.decode(request.encode(request.fromObject(parsed)).finish());
      expect(() => request.toObject(decoded, options)).not.toThrow();
      expect(() => request.toObject(request.fromObject(parsed), options)).not.toThrow();
    });
  });

  it('ignores fields it does not know (a newer client may send them), and nulls as unset', () => {
    expect(parseMessage(request, { version_info: '1', some_future_field: { x: 1 }, node: null })).toEqual({
      version_info: '1',
    });
  });
});
