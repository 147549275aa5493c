import http2 from 'node:http2';

export interface RawGrpcStreamOptions {
  /**
   * The HTTP/2 flow-control window the client offers for the server's messages. 0 makes a client
   * that reads nothing (as one that stopped reading, or reads far slower than the server writes,
   * looks from the server) until `resume()`.
   */
  readonly initialWindowSize?: number;
}

/**
 * A bidirectional gRPC stream spoken directly over HTTP/2, for what well-behaved clients never
 * do: stop reading, hold a zero window, send messages the server must refuse. Messages are bytes
 * (the caller encodes them); received messages are collected as bytes.
 */
export class RawGrpcStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private buffer = Buffer.alloc(0);
  /** Every message received so far, in order. */
  readonly messages: Buffer[] = [];
  /** The grpc-status trailer, once the server ends the stream. */
  status: number | undefined;

  constructor(address: string, path: string, options: RawGrpcStreamOptions = {}) {
    this.session = http2.connect(`http://${address}`, {
      settings: { initialWindowSize: options.initialWindowSize ?? 65_535 },
    });
    this.session.on('error', () => undefined);
    this.stream = this.session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('error', () => undefined);
    this.stream.on('data', (chunk: Buffer) => this.take(chunk));
    this.stream.on('trailers', (trailers) => {
      this.status = Number(trailers['grpc-status']);
    });
  }

  /** Sends one message, framed as gRPC frames it (uncompressed, length-prefixed). */
  send(message: Uint8Array): void {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(message.length, 1);
    this.stream.write(Buffer.concat([header, message]));
  }

  /** Opens the flow-control window: from now on the client takes what the server sends. */
  resume(): void {
    this.session.settings({ initialWindowSize: 1 << 20 });
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }

  private take(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 5 + length) return;
      this.messages.push(Buffer.from(this.buffer.subarray(5, 5 + length)));
      this.buffer = this.buffer.subarray(5 + length);
    }
  }
}
