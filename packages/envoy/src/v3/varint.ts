/**
 * Protobuf varints, for writing fields around bytes already encoded (a cached part of a message),
 * which protobufjs's Writer cannot append as they are.
 */

/** Bytes of a length-delimited field: its tag, its length and `length` bytes. */
export function lengthDelimitedSize(tag: number, length: number): number {
  return varintSize(tag) + varintSize(length) + length;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) size += 1;
  return size;
}

export function writeVarint(out: Buffer, at: number, value: number): number {
  let rest = value;
  while (rest > 0x7f) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[at++] = rest;
  return at;
}
