import { shortDigest } from '@sextant/core';
import type protobuf from 'protobufjs';
import { protobufjs } from './protobufjs';
import { flatText } from '../flat-text';
import { ownedBuffer } from '../owned-buffer';
import { printAnyBytes } from './proto-json';
import { envoyProtos } from './protos';
import type { ResourceTypeUrl } from './type-urls';

/**
 * One rendered v3 resource, encoded once and shared by every stream and poll that receives it.
 * Its version is a digest of its encoding, so equal content has an equal version in any process
 * (replicas agree; a reconnecting client is not sent what it has). The wire forms a response
 * needs (a DiscoveryResponse entry, a delta Resource entry, proto3 JSON) are produced on first
 * use and kept: a push to thousands of streams encodes nothing per stream.
 *
 * Only bytes are kept, not the object it was rendered from: views that show a resource decode
 * it, which is rare, while the object would cost several times the bytes for as long as the
 * resource is cached. (Tests keep it, to check what protobufjs would silently drop.)
 */
export class EncodedResource {
  /** Digest of the encoded message: 16 hex digits. */
  readonly version: string;
  /** The `resources` element of a DiscoveryResponse: tag, length and the encoded Any. */
  private readonly sotw: Buffer;
  /** Where the Any, and the message inside it, start in `sotw`. */
  private readonly anyOffset: number;
  private readonly messageOffset: number;
  private delta: Buffer | undefined;
  private jsonText: string | undefined;

  constructor(
    readonly typeUrl: ResourceTypeUrl,
    readonly name: string,
    /** The encoded message (render-scope.ts `encode` encodes a rendered object). */
    bytes: Uint8Array,
    /** What it was encoded from, kept only when a renderer is asked to (tests). */
    readonly rendered?: object,
    /**
     * Rendered for a name a client made up (a subset that selects nothing), not cached: what is
     * built from it is not cached either, so inventing names costs time, never memory.
     */
    readonly transient = false,
  ) {
    const protos = envoyProtos();
    this.version = shortDigest(bytes);
    const any = protos.any.encode({ type_url: typeUrl, value: bytes }).finish();
    this.sotw = ownedBuffer(lengthDelimited(protos.discoveryResponse, 'resources', any));
    this.anyOffset = this.sotw.length - any.length;
    // The Any's `value` is its last field, so the message is its tail.
    this.messageOffset = this.sotw.length - bytes.length;
  }

  /** The encoded message. */
  get bytes(): Uint8Array {
    return this.sotw.subarray(this.messageOffset);
  }

  /** The encoded `google.protobuf.Any` wrapping the message. */
  anyBytes(): Uint8Array {
    return this.sotw.subarray(this.anyOffset);
  }

  /** The bytes of one `resources` element of a DiscoveryResponse (tag, length, Any). */
  sotwEntry(): Buffer {
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
      this.delta = ownedBuffer(lengthDelimited(protos.deltaDiscoveryResponse, 'resources', resource));
    }
    return this.delta;
  }

  /** The resource in proto3 JSON (`@type` beside its fields), as REST-JSON responses carry it. */
  json(): string {
    this.jsonText ??= flatText(JSON.stringify(printAnyBytes(envoyProtos().root, this.anyBytes())));
    return this.jsonText;
  }

  /**
   * What the resource keeps alive at most, once every wire form has been asked for: the render
   * caches charge this, so their budget holds however the resource is later served.
   */
  retainedBytes(): number {
    // sotw and delta entries, proto3 JSON (about twice the binary), names, the object itself.
    return this.sotw.length * 4 + this.name.length * 2 + 256;
  }
}

/**
 * One occurrence of a length-delimited field of `type`, ready to be appended to an encoded
 * message of that type: protobuf merges concatenated encodings, appending repeated fields.
 */
function lengthDelimited(type: protobuf.Type, fieldName: string, bytes: Uint8Array): Buffer {
  const field = type.fields[fieldName];
  if (!field) throw new Error(`${type.fullName} has no field ${fieldName}`);
  const encoded = protobufjs()
    .Writer.create()
    .uint32((field.id << 3) | 2)
    .bytes(bytes)
    .finish();
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}
