import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { clientText, type Snapshot } from '@sextant/core';
import {
  isResourceTypeUrl,
  TYPE_SHORT_NAMES,
  type Node,
  type ResourceRequester,
  type ResourceSet,
  type ResourceTypeUrl,
  type V3Renderer,
} from '@sextant/envoy';
import type { Logger as PinoLogger } from 'pino';
import { leftOutFields, type RepeatedEvents } from '../repeated-events';
import { NodeAccessDenied } from '../security/node-authorizer';
import { ClientNodeError, readClientNode, type ClientNode } from './client-node';
import type { Convergence } from './convergence';
import type { SharedResponses } from './shared-responses';
import type { SharedNameSets, Subscription } from './subscription';
import type { SubscriptionIndex } from './subscription-index';
import { hasType, NO_TYPES, typesIn, type TypeSet } from './type-set';
import type { PushOutcome, SentRecord, SyncState, TypeStatus } from './type-status';
import { UndecodableRequest, type EncodedResponse, type XdsMethod } from './wire';
import type { XdsLimits } from './xds-limits';
import type { XdsMetrics } from './xds-metrics';

/** What every stream shares: the server's state, seen through what streams need of it. */
export interface XdsContext {
  /** The snapshot the server has brought every stream up to date with; undefined before the first. */
  current(): Snapshot | undefined;
  readonly renderer: V3Renderer;
  /** SotW responses encoded once for every stream owed the same. */
  readonly responses: SharedResponses;
  /** Name sets shared by the SotW subscriptions that sent the same list. */
  readonly nameSets: SharedNameSets;
  readonly index: SubscriptionIndex<TypeSubscriber>;
  readonly metrics: XdsMetrics;
  readonly logger: PinoLogger;
  readonly limits: XdsLimits;
  /** Rate-limits log lines that every client of a fleet may cause at once (NACKs, refusals). */
  readonly repeats: RepeatedEvents;
  /** Waits for the streams a change concerns to acknowledge it (sextant_proxy_convergence_seconds). */
  readonly convergence: Convergence<TypeSubscriber>;
  now(): number;
  /**
   * Strict node authorization: throws NodeAccessDenied unless the stream's client certificate is
   * for `client` (checked once per stream, at its first request).
   */
  authorize?(client: ClientNode, call: ServerDuplexStream<unknown, EncodedResponse>, peer: string): void;
}

const NO_UNSERVED_TYPES: ReadonlySet<string> = new Set();

/** How much of a NACK's message is kept and shown: clients may send megabytes. */
export const NACK_MESSAGE_MAX = 1000;

/** Something kept in step with snapshots: a stream. */
export interface SnapshotFollower {
  /** A snapshot may have changed these types for this stream. */
  onSnapshot(types: TypeSet): void;
}

/** One stream's subscription to one type: what the index holds and a snapshot change concerns. */
export interface TypeSubscriber {
  readonly stream: SnapshotFollower;
  readonly typeUrl: ResourceTypeUrl;
  readonly subscription: Subscription;
  readonly status: TypeStatus;
}

/** A request the protocol does not allow; the stream ends with INVALID_ARGUMENT and this message. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** A stream that asked for more than it may hold; it ends with RESOURCE_EXHAUSTED and this message. */
export class StreamLimitError extends Error {
  override readonly name = 'StreamLimitError';
}

/**
 * One xDS gRPC stream: node identification, nonces, bounds, writes and lifecycle. The SotW and
 * delta protocols extend it with how requests change subscriptions and what is sent to bring a
 * type up to date.
 *
 * Every response is computed from the latest snapshot and what the client was last sent, when
 * it can be written: a type that changes while the client is not reading is marked, not
 * queued, and brought up to date once the connection drains.
 */
export abstract class XdsStream<
  Request extends { node?: Node | null; type_url?: string },
> implements SnapshotFollower {
  readonly connectedSince: number;
  readonly peer: string;
  /** Who is at the other end; known from the first request. */
  client: ClientNode | undefined;
  /** Types asked for that Sextant does not serve, made on the first (most clients never ask for one). */
  private unserved: Set<string> | undefined;
  private nonces = 0;
  private closed = false;
  private inFlight = 0;
  /** Types whose latest state the client has not been sent, waiting for the connection to drain. */
  private waiting: TypeSet = NO_TYPES;

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
    const cleanUp = () => this.cleanUp();
    call.on('error', cleanUp);
    call.on('cancelled', cleanUp);
    call.on('close', cleanUp);
  }

  get protocol(): XdsMethod['protocol'] {
    return this.method.protocol;
  }

  /** Types asked for that Sextant does not serve (secrets, runtime…): recorded, never answered. */
  get unsupportedTypes(): ReadonlySet<string> {
    return this.unserved ?? NO_UNSERVED_TYPES;
  }

  /** Whether the client is reading: responses wait (coalesced) while it is not. */
  get congested(): boolean {
    return this.inFlight >= this.context.limits.maxResponsesInFlight;
  }

  /** The type subscriptions of this stream, for status views and clean-up. */
  abstract subscribers(): Iterable<TypeSubscriber>;

  /** Where the client stands with a type it subscribes to. */
  stateOf(subscriber: TypeSubscriber): SyncState {
    return subscriber.status.state(this.isWaiting(subscriber.typeUrl));
  }

  /** Handles one request of a served type, once the node is known. */
  protected abstract onRequest(typeUrl: ResourceTypeUrl, request: Request): void;

  /**
   * Sends what brings the given types up to date with `snapshot`, in make-before-break order
   * (the types come in RESOURCE_TYPES order).
   */
  protected abstract sync(types: readonly ResourceTypeUrl[], snapshot: Snapshot): void;

  /** A snapshot may have changed these types for this stream. */
  onSnapshot(types: TypeSet): void {
    this.bringUpToDate(types);
  }

  /** Ends the stream normally (shutdown): the client reconnects, elsewhere if it can. */
  end(): void {
    if (this.closed) return;
    this.cleanUp();
    this.call.end();
  }

  /**
   * Brings `types` up to date now, or once the connection drains if the client is not reading.
   * Nothing is computed for a waiting type until then, so only its latest state is ever sent.
   */
  protected bringUpToDate(types: TypeSet): void {
    if (this.closed) return;
    this.waiting |= types;
    const snapshot = this.context.current();
    if (this.congested || this.waiting === NO_TYPES || !snapshot) return;
    const due = typesIn(this.waiting);
    this.waiting = NO_TYPES;
    const started = performance.now();
    this.sync(due, snapshot);
    this.context.metrics.renderSeconds.observe((performance.now() - started) / 1000);
    // A type that had nothing new to send may already be up to date.
    for (const subscriber of this.subscribers()) {
      if (due.includes(subscriber.typeUrl)) this.settleIfConverged(subscriber);
    }
  }

  /** Records a response sent to a subscriber. */
  protected recordSent(subscriber: TypeSubscriber, record: SentRecord): void {
    if (subscriber.status.recordSent(record)) this.countPush(subscriber.typeUrl, 'superseded');
  }

  /**
   * Records the client's answer to the latest response of a type (ACK, or NACK with its message
   * cut to NACK_MESSAGE_MAX); returns the NACK message if it was one.
   */
  protected recordAnswer(subscriber: TypeSubscriber, errorMessage: string | undefined): string | undefined {
    const message = errorMessage === undefined ? undefined : clientText(errorMessage, NACK_MESSAGE_MAX);
    const nack = subscriber.status.recordAnswer(message, this.context.now());
    this.countPush(subscriber.typeUrl, nack === undefined ? 'acked' : 'nacked');
    if (nack !== undefined) this.recordNack(subscriber.typeUrl, nack);
    else this.settleIfConverged(subscriber);
    return nack;
  }

  private countPush(typeUrl: ResourceTypeUrl, outcome: PushOutcome): void {
    this.context.metrics.pushes.inc({ type: TYPE_SHORT_NAMES[typeUrl], outcome });
  }

  private settleIfConverged(subscriber: TypeSubscriber): void {
    if (subscriber.status.upToDate() && !this.isWaiting(subscriber.typeUrl))
      this.context.convergence.settle(subscriber);
  }

  /** Who is asking, as the renderers need it: the proxy, and whether its config sources must name ADS. */
  protected requester(): ResourceRequester {
    if (!this.client) throw new Error('no node yet');
    return {
      proxy: this.client.proxy,
      kind: this.method.typeUrl ? 'grpc' : 'ads',
      target: this.client.kind === 'grpc' ? 'grpc' : 'v3',
    };
  }

  /** Every resource of a type this client may have from a snapshot. */
  protected resourceSetFor(typeUrl: ResourceTypeUrl, snapshot: Snapshot): ResourceSet {
    return this.context.renderer.resourceSet(snapshot, typeUrl, this.requester());
  }

  protected nextNonce(): string {
    this.nonces += 1;
    return String(this.nonces);
  }

  protected write(typeUrl: ResourceTypeUrl, response: EncodedResponse): void {
    if (this.closed) return;
    this.inFlight += 1;
    this.call.write(response, () => {
      this.inFlight -= 1;
      if (this.waiting !== NO_TYPES && !this.congested) this.bringUpToDate(NO_TYPES);
    });
    this.context.metrics.responses.inc({ type: TYPE_SHORT_NAMES[typeUrl], protocol: this.protocol });
  }

  private recordNack(typeUrl: ResourceTypeUrl, message: string): void {
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

  /** Refuses a subscription that names more than a stream may hold. */
  protected checkNames(
    typeUrl: ResourceTypeUrl,
    subscription: Subscription,
    count = subscription.size,
  ): void {
    const max = this.context.limits.maxNamesPerType;
    if (count > max) {
      throw new StreamLimitError(
        `named ${count} ${TYPE_SHORT_NAMES[typeUrl]} resources; a stream may name at most ${max} per type`,
      );
    }
  }

  private receive(request: Request | UndecodableRequest): void {
    if (this.closed) return;
    try {
      if (request instanceof UndecodableRequest) throw new ProtocolError(request.reason);
      if (!this.client) {
        const client = readClientNode(request.node);
        this.context.authorize?.(
          client,
          this.call as ServerDuplexStream<unknown, EncodedResponse>,
          this.peer,
        );
        this.client = client;
        this.logConnection('connected');
      }
      const typeUrl = this.typeOf(request);
      if (!isResourceTypeUrl(typeUrl)) {
        this.recordUnserved(typeUrl);
        return;
      }
      this.onRequest(typeUrl, request);
    } catch (error) {
      if (error instanceof ClientNodeError || error instanceof ProtocolError) {
        this.fail(GrpcStatus.INVALID_ARGUMENT, error.message);
      } else if (error instanceof NodeAccessDenied) {
        // Logged and counted by the authorizer.
        this.fail(GrpcStatus.PERMISSION_DENIED, error.message, false);
      } else if (error instanceof StreamLimitError) {
        this.fail(GrpcStatus.RESOURCE_EXHAUSTED, error.message);
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

  private isWaiting(typeUrl: ResourceTypeUrl): boolean {
    return hasType(this.waiting, typeUrl);
  }

  private recordUnserved(typeUrl: string): void {
    // Type URLs are client text: kept short, and only so many per stream.
    const shown = typeUrl.length > 200 ? `${typeUrl.slice(0, 200)}…` : typeUrl;
    const unserved = (this.unserved ??= new Set());
    if (unserved.has(shown)) return;
    if (unserved.size >= this.context.limits.maxUnservedTypes) {
      throw new StreamLimitError(
        `asked for more than ${this.context.limits.maxUnservedTypes} resource types Sextant does not serve`,
      );
    }
    unserved.add(shown);
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

  private fail(code: GrpcStatus, details: string, log = true): void {
    if (this.closed) return;
    const shown = clientText(details);
    const leftOut = log ? this.context.repeats.admit(`refused ${shown}`) : undefined;
    if (leftOut !== undefined) {
      // A stream past its bounds is worth a warning: a client asking for that much is broken or hostile.
      const log =
        code === GrpcStatus.RESOURCE_EXHAUSTED ? this.context.logger.warn : this.context.logger.info;
      log.call(
        this.context.logger,
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
    this.waiting = NO_TYPES;
    for (const subscriber of this.subscribers()) {
      this.context.index.remove(subscriber);
      this.context.convergence.settle(subscriber);
      if (subscriber.status.unanswered > 0) this.countPush(subscriber.typeUrl, 'unanswered');
    }
    if (this.client) this.logConnection('disconnected');
    this.onClose();
  }

  /**
   * Connections and disconnections of identified clients, at info. A client that reconnects in a
   * loop is logged once a minute (with how many were left out), not once per stream.
   */
  private logConnection(event: 'connected' | 'disconnected'): void {
    const client = this.client;
    if (!client) return;
    const node = clientText(client.id);
    const leftOut = this.context.repeats.admit(`${event} ${node}`);
    if (leftOut === undefined) return;
    const seconds = Math.round((this.context.now() - this.connectedSince) / 1000);
    this.context.logger.info(
      {
        node,
        kind: client.kind,
        address: this.peer,
        agent: clientText(client.agent),
        api: this.method.typeUrl ? TYPE_SHORT_NAMES[this.method.typeUrl as ResourceTypeUrl] : 'ads',
        protocol: this.protocol,
        ...(event === 'disconnected' ? { connectedSeconds: seconds } : {}),
        ...leftOutFields(leftOut),
      },
      `${client.kind} client ${node} ${event}`,
    );
  }
}
