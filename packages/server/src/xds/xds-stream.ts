import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { clientText, type Snapshot } from '@sextant/core';
import {
  isResourceTypeUrl,
  resourceSet,
  TYPE_SHORT_NAMES,
  type Node,
  type ResourceRequester,
  type ResourceTypeUrl,
  type SnapshotChange,
  type V3RenderOptions,
} from '@sextant/envoy';
import type { Logger as PinoLogger } from 'pino';
import { leftOutFields, type RepeatedEvents } from '../repeated-events';
import { ClientNodeError, readClientNode, type ClientNode } from './client-node';
import type { Subscription } from './subscription';
import type { Concern, SubscriptionIndex } from './subscription-index';
import type { TypeStatus } from './type-status';
import { UndecodableRequest, type EncodedResponse, type XdsMethod } from './wire';
import type { XdsMetrics } from './xds-metrics';

/** What every stream shares: the server's state, seen through what streams need of it. */
export interface XdsContext {
  /** The snapshot the server has brought every stream up to date with; undefined before the first. */
  current(): Snapshot | undefined;
  readonly options: V3RenderOptions;
  readonly index: SubscriptionIndex<TypeSubscriber>;
  readonly metrics: XdsMetrics;
  readonly logger: PinoLogger;
  /** Rate-limits log lines that every client of a fleet may cause at once (NACKs, refusals). */
  readonly repeats: RepeatedEvents;
  now(): number;
}

/** Something kept in step with snapshots: a stream. */
export interface SnapshotFollower {
  /** Brings the stream's subscriptions up to date with a snapshot; `concerns` says which may have changed. */
  onSnapshot(update: SnapshotUpdate, concerns: ReadonlyMap<ResourceTypeUrl, Concern>): void;
}

/** One stream's subscription to one type: what the index holds and a snapshot change concerns. */
export interface TypeSubscriber {
  readonly stream: SnapshotFollower;
  readonly typeUrl: ResourceTypeUrl;
  readonly subscription: Subscription;
  readonly status: TypeStatus;
}

/** A new snapshot, the one streams were in step with, and what changed between them. */
export interface SnapshotUpdate {
  readonly previous: Snapshot | undefined;
  readonly next: Snapshot;
  readonly change: SnapshotChange;
}

/** A request the protocol does not allow; the stream ends with INVALID_ARGUMENT and this message. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/**
 * One xDS gRPC stream: node identification, nonces, writes and lifecycle. The SotW and delta
 * protocols extend it with how requests change subscriptions and what a snapshot sends.
 */
export abstract class XdsStream<
  Request extends { node?: Node | null; type_url?: string },
> implements SnapshotFollower {
  readonly connectedSince: number;
  readonly peer: string;
  /** Who is at the other end; known from the first request. */
  client: ClientNode | undefined;
  /** Types asked for that Sextant does not serve (secrets, runtime…): recorded, never answered. */
  readonly unsupportedTypes = new Set<string>();
  private nonces = 0;
  private closed = false;

  constructor(
    readonly id: number,
    readonly method: XdsMethod,
    protected readonly call: ServerDuplexStream<Request, EncodedResponse>,
    protected readonly context: XdsContext,
    private readonly onClose: () => void,
  ) {
    this.connectedSince = context.now();
    this.peer = call.getPeer();
    call.on('data', (request: Request | UndecodableRequest) => this.receive(request));
    call.on('end', () => this.end());
    call.on('error', () => this.cleanUp());
    call.on('cancelled', () => this.cleanUp());
    call.on('close', () => this.cleanUp());
  }

  get protocol(): XdsMethod['protocol'] {
    return this.method.protocol;
  }

  /** The type subscriptions of this stream, for status views and clean-up. */
  abstract subscribers(): Iterable<TypeSubscriber>;

  /** Handles one request of a served type, once the node is known. */
  protected abstract onRequest(typeUrl: ResourceTypeUrl, request: Request): void;

  abstract onSnapshot(update: SnapshotUpdate, concerns: ReadonlyMap<ResourceTypeUrl, Concern>): void;

  /** Ends the stream normally (shutdown): the client reconnects, elsewhere if it can. */
  end(): void {
    if (this.closed) return;
    this.cleanUp();
    this.call.end();
  }

  /** Who is asking, as the renderers need it: the proxy, and whether its config sources must name ADS. */
  protected requester(): ResourceRequester {
    if (!this.client) throw new Error('no node yet');
    return { proxy: this.client.proxy, kind: this.method.typeUrl ? 'grpc' : 'ads' };
  }

  /** Every resource of a type this client may have from a snapshot. */
  protected resourceSetFor(typeUrl: ResourceTypeUrl, snapshot: Snapshot) {
    return resourceSet(snapshot, typeUrl, this.requester(), this.context.options);
  }

  protected nextNonce(): string {
    this.nonces += 1;
    return String(this.nonces);
  }

  protected write(typeUrl: ResourceTypeUrl, response: EncodedResponse): void {
    if (this.closed) return;
    this.call.write(response);
    this.context.metrics.responses.inc({ type: TYPE_SHORT_NAMES[typeUrl], protocol: this.protocol });
  }

  protected recordNack(typeUrl: ResourceTypeUrl, message: string): void {
    const type = TYPE_SHORT_NAMES[typeUrl];
    this.context.metrics.nacks.inc({ type });
    const error = clientText(message);
    const leftOut = this.context.repeats.admit(`NACK ${type} ${error}`);
    if (leftOut === undefined) return;
    const node = clientText(this.client?.id ?? 'a client');
    this.context.logger.warn(
      { node, type, error, ...leftOutFields(leftOut) },
      `${node} rejected ${type} (NACK)`,
    );
  }

  private receive(request: Request | UndecodableRequest): void {
    if (this.closed) return;
    try {
      if (request instanceof UndecodableRequest) throw new ProtocolError(request.reason);
      if (!this.client) this.client = readClientNode(request.node);
      const typeUrl = this.typeOf(request);
      if (!isResourceTypeUrl(typeUrl)) {
        this.unsupportedTypes.add(typeUrl);
        return;
      }
      this.onRequest(typeUrl, request);
    } catch (error) {
      if (error instanceof ClientNodeError || error instanceof ProtocolError) {
        this.fail(GrpcStatus.INVALID_ARGUMENT, error.message);
      } else {
        const leftOut = this.context.repeats.admit(`failed ${clientText(String(error))}`);
        if (leftOut !== undefined) {
          const node = clientText(this.client?.id ?? '');
          this.context.logger.error({ err: error, node, ...leftOutFields(leftOut) }, 'xDS request failed');
        }
        this.fail(GrpcStatus.INTERNAL, 'internal error; see the sextant log');
      }
    }
  }

  /** Aggregated streams name the type in every request; a per-type stream may leave it empty. */
  private typeOf(request: Request): string {
    const typeUrl = request.type_url ?? '';
    const served = this.method.typeUrl;
    if (served === undefined) {
      if (typeUrl === '') throw new ProtocolError('type_url is required on an aggregated (ADS) stream');
      return typeUrl;
    }
    if (typeUrl !== '' && typeUrl !== served) {
      throw new ProtocolError(`${this.method.method} serves ${served}, not ${typeUrl}`);
    }
    return served;
  }

  private fail(code: GrpcStatus, details: string): void {
    if (this.closed) return;
    const shown = clientText(details);
    const leftOut = this.context.repeats.admit(`refused ${shown}`);
    if (leftOut !== undefined) {
      this.context.logger.info(
        {
          node: clientText(this.client?.id ?? ''),
          peer: this.peer,
          details: shown,
          ...leftOutFields(leftOut),
        },
        'xDS stream refused',
      );
    }
    this.cleanUp();
    this.call.emit('error', { code, details });
  }

  private cleanUp(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscriber of this.subscribers()) this.context.index.remove(subscriber);
    this.onClose();
  }
}
