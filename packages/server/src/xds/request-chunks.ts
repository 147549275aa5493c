import type { ServerDuplexStream } from '@grpc/grpc-js';

/**
 * What a stream keeps of the requests it has read: nothing, once they are decoded.
 *
 * grpc-js (1.14) reassembles each request from the HTTP/2 DATA chunks it arrives in, and its
 * decoder keeps views of the last message's chunks (its flag byte, its parts) until the next
 * message begins. A view keeps alive the whole chunk it points into: Envoy repeats every
 * resource name with each ACK (some 40 KB for 1,000 services), so every idle stream kept its
 * last ACK, 180 MiB for 5,000 streams. After each write the decoder is handed, what it keeps of
 * a finished message is dropped, and the flag byte of one still arriving is copied off its chunk
 * (the parts of a message still arriving are needed, and kept).
 */

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
 * decoded. Returns false, changing nothing, if the call is not built the way this expects
 * (another grpc-js version): a test holds that it is.
 */
export function releaseDecodedChunks(call: ServerDuplexStream<unknown, unknown>): boolean {
  const decoder = (call as unknown as { call?: { decoder?: unknown } }).call?.decoder;
  if (!isGrpcJsDecoder(decoder)) return false;
  const write = decoder.write.bind(decoder);
  const flag = Buffer.alloc(1);
  decoder.write = (data: Buffer) => {
    const messages = write(data);
    if (decoder.readState === NO_DATA) decoder.readPartialMessage = [];
    if (decoder.readCompressFlag !== flag) {
      flag[0] = decoder.readCompressFlag[0] ?? 0;
      decoder.readCompressFlag = flag;
    }
    return messages;
  };
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
