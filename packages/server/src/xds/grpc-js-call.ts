import type { ServerDuplexStream } from '@grpc/grpc-js';

/**
 * What the xDS server changes in how grpc-js (1.14) handles each of its calls, for the memory
 * and time of thousands of streams. Both reach into grpc-js's internal call object, checked
 * for the shape relied on: with another shape, nothing is changed and grpc-js works as it
 * does on its own (tests hold that the shape is found).
 *
 * - Requests: grpc-js reassembles each request from the HTTP/2 DATA chunks it arrives in, and
 *   its decoder keeps views of the last message's chunks (its flag byte, its parts) until the
 *   next message begins. A view keeps alive the whole chunk it points into: Envoy repeats every
 *   resource name with each ACK (some 40 KB for 1,000 services), so every idle stream kept its
 *   last ACK, 180 MiB for 5,000 streams. After each write the decoder is handed, what it keeps
 *   of a finished message is dropped, and the flag byte of one still arriving is copied off its
 *   chunk (the parts of a message still arriving are needed, and kept).
 * - Responses: grpc-js copies every message it sends behind a 5-byte prefix. The server's
 *   responses are framed once, prefix included (EncodedResponse), and written as they are: a
 *   response owed to 5,000 streams is one Buffer, not 5,000 copies waiting for slow readers.
 */

/** The internal call object under a grpc-js server stream: what this relies on. */
interface GrpcJsCall {
  decoder?: unknown;
  serializeMessage?: unknown;
}

function internalCall(call: ServerDuplexStream<unknown, unknown>): GrpcJsCall | undefined {
  const inner = (call as unknown as { call?: unknown }).call;
  return typeof inner === 'object' && inner !== null ? (inner as GrpcJsCall) : undefined;
}

/**
 * Has grpc-js write the server's responses, already framed, as they are. Returns false if the
 * call is not built the way this expects: grpc-js then frames (and copies) the message the
 * definition's serializer gives it, the same bytes on the wire.
 */
export function writePreFramed(call: ServerDuplexStream<unknown, Buffer>): boolean {
  const inner = internalCall(call);
  if (!inner || typeof inner.serializeMessage !== 'function') return false;
  inner.serializeMessage = (framed: Buffer) => framed;
  return true;
}

/** The fields of grpc-js's (internal) StreamDecoder this relies on. */
interface GrpcJsDecoder {
  write(data: Buffer): Buffer[];
  readState: number;
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

/** StreamDecoder's ReadState.NO_DATA: between two messages. */
const NO_DATA = 0;

/**
 * Makes the decoder of a grpc-js server call let go of the chunks of the messages it has
 * decoded. Returns false, changing nothing, if the call is not built the way this expects.
 */
export function releaseDecodedChunks(call: ServerDuplexStream<unknown, unknown>): boolean {
  const decoder = internalCall(call)?.decoder;
  if (!isGrpcJsDecoder(decoder)) return false;
  const write = decoder.write.bind(decoder);
  const flag = Buffer.alloc(1);
  const release = () => {
    if (decoder.readState === NO_DATA) decoder.readPartialMessage = [];
    if (decoder.readCompressFlag !== flag) {
      flag[0] = decoder.readCompressFlag[0] ?? 0;
      decoder.readCompressFlag = flag;
    }
  };
  decoder.write = (data: Buffer) => {
    const messages = write(data);
    release();
    return messages;
  };
  // The first request may have been read before the handler was called.
  release();
  return true;
}

function isGrpcJsDecoder(value: unknown): value is GrpcJsDecoder {
  if (typeof value !== 'object' || value === null) return false;
  const decoder = value as Partial<GrpcJsDecoder>;
  return (
    typeof decoder.write === 'function' &&
    typeof decoder.readState === 'number' &&
    Buffer.isBuffer(decoder.readCompressFlag) &&
    Array.isArray(decoder.readPartialMessage)
  );
}
