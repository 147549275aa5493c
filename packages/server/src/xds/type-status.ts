/**
 * Per stream and type, what was sent and what the client said about it: the figures an operator
 * needs to tell a proxy that is up to date from one that is stuck or rejecting (/debug/proxies).
 */

export interface SentRecord {
  readonly version: string;
  readonly nonce: string;
  readonly at: number;
  /** Resources in the response (SotW) or upserted (delta). */
  readonly resources: number;
  /** Names the response removed (delta). */
  readonly removed: number;
}

export interface AckRecord {
  readonly version: string;
  readonly nonce: string;
  readonly at: number;
}

export interface NackRecord extends AckRecord {
  /** `error_detail.message` as the client sent it. */
  readonly message: string;
}

/**
 * Where a client stands with one type, as Istio's `proxy-status` says it: SYNCED (it acknowledged
 * the latest response and nothing newer waits), STALE (a response, or newer state, it has not
 * acknowledged yet), NOT SENT (nothing sent yet), NACKED (it rejected the latest response).
 */
export type SyncState = 'SYNCED' | 'STALE' | 'NOT SENT' | 'NACKED';

/** How a response ended: answered (ACK, NACK), superseded by a newer one first, or never answered (stream closed). */
export type PushOutcome = 'acked' | 'nacked' | 'superseded' | 'unanswered';

export class TypeStatus {
  lastSent: SentRecord | undefined;
  lastAcked: AckRecord | undefined;
  lastNack: NackRecord | undefined;
  /** Responses sent and not yet answered (0 or 1 for a client that follows the protocol). */
  unanswered = 0;
  /** Requests that answered a nonce other than the latest (a newer response crossed them). */
  staleRequests = 0;

  /** Records a response sent; returns whether it superseded one the client had not answered. */
  recordSent(record: SentRecord): boolean {
    const superseded = this.unanswered > 0;
    this.lastSent = record;
    this.unanswered += 1;
    return superseded;
  }

  /**
   * Records the client's answer to the latest response. ACK and NACK are told apart by
   * `error_detail` alone (gRFC A46: a partly valid response moves a gRPC client's version even
   * when it NACKs). Returns the NACK message, if it was one.
   */
  recordAnswer(errorMessage: string | undefined, at: number): string | undefined {
    const sent = this.lastSent;
    if (!sent) return undefined;
    this.unanswered = 0;
    if (errorMessage !== undefined) {
      this.lastNack = { version: sent.version, nonce: sent.nonce, at, message: errorMessage };
      return errorMessage;
    }
    this.lastAcked = { version: sent.version, nonce: sent.nonce, at };
    return undefined;
  }

  /** The state to show; `waiting`: newer state is held back until the client reads. */
  state(waiting: boolean): SyncState {
    const sent = this.lastSent;
    if (!sent) return 'NOT SENT';
    if (this.lastNack?.nonce === sent.nonce) return 'NACKED';
    return this.lastAcked?.nonce === sent.nonce && !waiting ? 'SYNCED' : 'STALE';
  }

  /** Whether the client has acknowledged everything sent to it. */
  upToDate(): boolean {
    return this.lastSent !== undefined && this.lastAcked?.nonce === this.lastSent.nonce;
  }
}
