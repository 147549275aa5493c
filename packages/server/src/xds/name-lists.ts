/**
 * The `resource_names` of SotW requests, recognised by their bytes. An Envoy repeats its whole
 * list with every ACK, and a fleet's sidecars send the same list: a request whose names are
 * byte for byte a list seen recently gets that list's array, without decoding a string, and
 * every stream holding it holds the same array (and, through NameSets, the same set and digest).
 *
 * Bounded: a few lists, a few MiB of their bytes; a client sending ever-new lists costs a
 * decode each time, as without this, and evicts the oldest.
 */

/** Protobuf field number of `DiscoveryRequest.resource_names`. */
const RESOURCE_NAMES_FIELD = 3;
/** Its tag byte: field 3, length-delimited. */
const RESOURCE_NAMES_TAG = (RESOURCE_NAMES_FIELD << 3) | 2;

export interface NamesSpan {
  /** Where the consecutive `resource_names` entries begin and end in the message. */
  readonly start: number;
  readonly end: number;
}

/**
 * Where the `resource_names` entries of an encoded DiscoveryRequest lie, when they are
 * consecutive (as every encoder writes a repeated field) and there is at least one. Undefined
 * otherwise, or when the bytes are not a well-formed message at the top level: the caller then
 * decodes the whole message, which reports what is wrong.
 *
 * `knownAt(at)` may tell how many bytes from the first entry are entries already known (a
 * recent list's encoding, equal byte for byte): they are stepped over whole, not entry by entry
 * (an ACK may repeat thousands).
 */
export function namesSpan(bytes: Uint8Array, knownAt?: (at: number) => number): NamesSpan | undefined {
  let pos = 0;
  let start = -1;
  let end = -1;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) return -1;
      const byte = bytes[pos] as number;
      pos += 1;
      if (shift < 35) value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return -1;
  };
  while (pos < bytes.length) {
    const fieldStart = pos;
    if (start < 0 && knownAt && bytes[pos] === RESOURCE_NAMES_TAG) {
      const known = knownAt(pos);
      if (known > 0) {
        start = fieldStart;
        pos += known;
        end = pos;
        continue;
      }
    }
    const tag = varint();
    if (tag < 0) return undefined;
    const wire = tag & 7;
    if (wire === 0) {
      if (varint() < 0) return undefined;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      if (length < 0) return undefined;
      pos += length;
    } else return undefined;
    if (pos > bytes.length) return undefined;
    if (Math.floor(tag / 8) === RESOURCE_NAMES_FIELD) {
      if (wire !== 2) return undefined;
      if (start < 0) start = fieldStart;
      else if (end !== fieldStart) return undefined;
      end = pos;
    }
  }
  return start < 0 ? undefined : { start, end };
}

interface KnownList {
  readonly bytes: Buffer;
  readonly names: readonly string[];
}

export class RecentNameLists {
  /** Most recently used first. */
  private lists: KnownList[] = [];
  private heldBytes = 0;

  constructor(
    private readonly maxLists = 16,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /**
   * How many bytes of `bytes` from `at` are a recent list's encoding, byte for byte (the first
   * such list, which becomes the most recent); 0 if none.
   */
  lengthAt(bytes: Uint8Array, at: number): number {
    for (let i = 0; i < this.lists.length; i += 1) {
      const known = this.lists[i] as KnownList;
      const end = at + known.bytes.length;
      if (end > bytes.length || !known.bytes.equals(bytes.subarray(at, end))) continue;
      if (i > 0) {
        this.lists.splice(i, 1);
        this.lists.unshift(known);
      }
      return known.bytes.length;
    }
    return 0;
  }

  /** The list whose encoding is exactly `bytes`, if it is one of the recent ones. */
  find(bytes: Uint8Array): readonly string[] | undefined {
    for (let i = 0; i < this.lists.length; i += 1) {
      const known = this.lists[i] as KnownList;
      if (known.bytes.length !== bytes.length || !known.bytes.equals(bytes)) continue;
      if (i > 0) {
        this.lists.splice(i, 1);
        this.lists.unshift(known);
      }
      return known.names;
    }
    return undefined;
  }

  /** Remembers `names` as the list encoded as `bytes` (copied), and returns the array to share (frozen). */
  remember(bytes: Uint8Array, names: string[]): readonly string[] {
    const shared = Object.freeze(names);
    if (bytes.length > this.maxBytes) return shared;
    this.lists.unshift({ bytes: Buffer.from(bytes), names: shared });
    this.heldBytes += bytes.length;
    while (this.lists.length > this.maxLists || this.heldBytes > this.maxBytes) {
      const evicted = this.lists.pop() as KnownList;
      this.heldBytes -= evicted.bytes.length;
    }
    return shared;
  }
}
