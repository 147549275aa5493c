/**
 * A copy of `data` in memory of its own. Small Buffers (from Buffer.from, Buffer.allocUnsafe, and
 * protobufjs's writer) are slices of shared 8 KiB pool slabs: a cache that keeps a slice keeps its
 * whole slab alive, so a cache of thousands of small resources would hold many times what it counts.
 */
export function ownedBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') {
    const buffer = Buffer.allocUnsafeSlow(Buffer.byteLength(data));
    buffer.write(data);
    return buffer;
  }
  const buffer = Buffer.allocUnsafeSlow(data.byteLength);
  buffer.set(data);
  return buffer;
}
