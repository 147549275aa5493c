import {
  Client,
  credentials,
  Metadata,
  type ChannelCredentials,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { envoyProtos, printAnyBytes } from '@sextant/envoy';
import type protobuf from 'protobufjs';

/**
 * A raw xDS client for protocol tests: requests and responses encoded with the same protos the
 * server loads, no xDS logic of its own, so a test sees exactly what the server sends. Responses
 * queue up; `next()` takes the oldest, waiting for one if none has arrived.
 */

export interface SotwResponse {
  readonly version_info: string;
  readonly nonce: string;
  readonly type_url: string;
  /** Each resource in proto3 JSON (with `@type`). */
  readonly resources: Record<string, unknown>[];
  readonly names: string[];
}

export interface DeltaResponse {
  readonly system_version_info: string;
  readonly nonce: string;
  readonly type_url: string;
  readonly resources: { name: string; version: string; resource: Record<string, unknown> }[];
  readonly names: string[];
  readonly removed_resources: string[];
}

type Protocol = 'sotw' | 'delta';

const OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, arrays: true };

/** A SotW response's message bytes, decoded. */
export function decodeSotwBytes(bytes: Buffer): SotwResponse {
  return decodeSotw(bytes);
}

export class XdsTestStream<P extends Protocol> {
  private readonly client: Client;
  private readonly call: ClientDuplexStream<Record<string, unknown> | Buffer, Buffer>;
  private readonly queue: Buffer[] = [];
  private waiting: ((message: Buffer) => void) | undefined;
  private failure: ServiceError | undefined;
  private failed: ((error: ServiceError) => void) | undefined;
  readonly ended: Promise<ServiceError | undefined>;

  constructor(
    address: string,
    readonly protocol: P,
    path = protocol === 'sotw'
      ? '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources'
      : '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    channelCredentials: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new Client(address, channelCredentials);
    const protos = envoyProtos();
    const requestType = protocol === 'sotw' ? protos.discoveryRequest : protos.deltaDiscoveryRequest;
    this.call = this.client.makeBidiStreamRequest(
      path,
      (request: Record<string, unknown> | Buffer) =>
        Buffer.isBuffer(request)
          ? request
          : Buffer.from(requestType.encode(requestType.fromObject(request)).finish()),
      (bytes: Buffer) => bytes,
      new Metadata(),
    );
    this.call.on('data', (message: Buffer) => {
      const resolve = this.waiting;
      this.waiting = undefined;
      if (resolve) resolve(message);
      else this.queue.push(message);
    });
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: ServiceError) => {
        this.failure = error;
        this.failed?.(error);
        resolve(error);
      });
      this.call.on('end', () => resolve(undefined));
    });
  }

  send(request: Record<string, unknown>): void {
    this.call.write(request);
  }

  /** Sends bytes as they are: what the protos' own encoder would refuse to write. */
  sendBytes(bytes: Buffer): void {
    this.call.write(bytes);
  }

  /** The next response, decoded; rejects after `timeoutMs` or if the stream fails. */
  async next(timeoutMs = 5000): Promise<P extends 'sotw' ? SotwResponse : DeltaResponse> {
    const bytes = await this.nextBytes(timeoutMs);
    return (this.protocol === 'sotw' ? decodeSotw(bytes) : decodeDelta(bytes)) as P extends 'sotw'
      ? SotwResponse
      : DeltaResponse;
  }

  /** How many responses have arrived and not been taken. */
  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }

  /** The next response as the bytes of its message, undecoded. */
  nextBytes(timeoutMs = 5000): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.failed = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
  }
}

function decodeSotw(bytes: Buffer): SotwResponse {
  const protos = envoyProtos();
  const message = protos.discoveryResponse.toObject(protos.discoveryResponse.decode(bytes), OPTIONS) as {
    version_info: string;
    nonce: string;
    type_url: string;
    resources: { type_url: string; value: Uint8Array }[];
  };
  const anyType = protos.any;
  const resources = message.resources.map(
    (any) => printAnyBytes(protos.root, anyType.encode(any).finish()) as Record<string, unknown>,
  );
  return {
    version_info: message.version_info,
    nonce: message.nonce,
    type_url: message.type_url,
    resources,
    names: resources.map(nameOf),
  };
}

function decodeDelta(bytes: Buffer): DeltaResponse {
  const protos = envoyProtos();
  const message = protos.deltaDiscoveryResponse.toObject(
    protos.deltaDiscoveryResponse.decode(bytes),
    OPTIONS,
  ) as {
    system_version_info: string;
    nonce: string;
    type_url: string;
    resources: { name: string; version: string; resource: { type_url: string; value: Uint8Array } }[];
    removed_resources: string[];
  };
  const resources = message.resources.map((r) => ({
    name: r.name,
    version: r.version,
    resource: printAnyBytes(protos.root, protos.any.encode(r.resource).finish()) as Record<string, unknown>,
  }));
  return {
    system_version_info: message.system_version_info,
    nonce: message.nonce,
    type_url: message.type_url,
    resources,
    names: resources.map((r) => r.name),
    removed_resources: message.removed_resources,
  };
}

function nameOf(resource: Record<string, unknown>): string {
  return String(resource.name ?? resource.cluster_name ?? '');
}
