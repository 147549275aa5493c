import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { printAnyBytes } from './proto-json';
import { envoyProtos } from './protos';
import type { ResourceTypeUrl } from './type-urls';

/**
 * One rendered v3 resource, encoded once and shared by every stream and poll that receives it.
 * Its version is a digest of its encoding, so equal content has an equal version in any process
 * (replicas agree; a reconnecting client is not sent what it has). The wire forms a response
 * needs (a DiscoveryResponse entry, a delta Resource entry, proto3 JSON) are produced on first
 * use and kept: a push to thousands of streams encodes nothing per stream.
 */
export class EncodedResource {
  /** Digest of the encoded message: 16 hex digits. */
  readonly version: string;
  /** The encoded message. */
  readonly bytes: Uint8Array;
  private any: Uint8Array | undefined;
  private sotw: Buffer | undefined;
  private delta: Buffer | undefined;
  private jsonText: string | undefined;

  constructor(
    readonly typeUrl: ResourceTypeUrl,
    readonly name: string,
    /** The resource as rendered (protobufjs `fromObject` form), for debug views. */
    readonly value: object,
  ) {
    const protos = envoyProtos();
    const type = protos.messageType(typeUrl);
    this.bytes = type.encode(type.fromObject(value)).finish();
    this.version = createHash('sha256').update(this.bytes).digest('hex').slice(0, 16);
  }

  /** The encoded `google.protobuf.Any` wrapping the message. */
  anyBytes(): Uint8Array {
    this.any ??= envoyProtos().any.encode({ type_url: this.typeUrl, value: this.bytes }).finish();
    return this.any;
  }

  /** The bytes of one `resources` element of a DiscoveryResponse (tag, length, Any). */
  sotwEntry(): Buffer {
    this.sotw ??= lengthDelimited(envoyProtos().discoveryResponse, 'resources', this.anyBytes());
    return this.sotw;
  }

  /** The bytes of one `resources` element of a DeltaDiscoveryResponse (a Resource with name and version). */
  deltaEntry(): Buffer {
    if (!this.delta) {
      const protos = envoyProtos();
      const resourceType = (protos.deltaDiscoveryResponse.fields.resources as protobuf.Field)
        .resolvedType as protobuf.Type;
      const resource = resourceType
        .encode({
          name: this.name,
          version: this.version,
          resource: { type_url: this.typeUrl, value: this.bytes },
        })
        .finish();
      this.delta = lengthDelimited(protos.deltaDiscoveryResponse, 'resources', resource);
    }
    return this.delta;
  }

  /** The resource in proto3 JSON (`@type` beside its fields), as REST-JSON responses carry it. */
  json(): string {
    this.jsonText ??= JSON.stringify(printAnyBytes(envoyProtos().root, this.anyBytes()));
    return this.jsonText;
  }
}

/**
 * One occurrence of a length-delimited field of `type`, ready to be appended to an encoded
 * message of that type: protobuf merges concatenated encodings, appending repeated fields.
 */
function lengthDelimited(type: protobuf.Type, fieldName: string, bytes: Uint8Array): Buffer {
  const field = type.fields[fieldName];
  if (!field) throw new Error(`${type.fullName} has no field ${fieldName}`);
  const encoded = protobuf.Writer.create()
    .uint32((field.id << 3) | 2)
    .bytes(bytes)
    .finish();
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}
