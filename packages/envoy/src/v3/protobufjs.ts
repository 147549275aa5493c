import type * as Protobuf from 'protobufjs';

/**
 * protobufjs, loaded on first use: some 30 ms of every start-up, which only the xDS and CA gRPC
 * wires need, when the first client calls. Types come from `import type`; every value of the
 * library (Root, Type, Writer) is reached through here.
 */
export function protobufjs(): typeof Protobuf {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  return require('protobufjs') as typeof Protobuf;
}
