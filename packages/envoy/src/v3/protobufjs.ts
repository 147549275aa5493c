import type * as Protobuf from 'protobufjs';

let loaded: typeof Protobuf | undefined;

/**
 * protobufjs, loaded on first use: some 30 ms of every start-up, which only the xDS and CA gRPC
 * wires need, when the first client calls. Types come from `import type`; every value of the
 * library (Root, Type, Writer) is reached through here. Kept once loaded: the proto3 JSON mapping
 * asks for it for every field it prints or parses, and a `require` each time is a module lookup.
 */
export function protobufjs(): typeof Protobuf {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  loaded ??= require('protobufjs') as typeof Protobuf;
  return loaded;
}
