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

export class TypeStatus {
  lastSent: SentRecord | undefined;
  lastAcked: AckRecord | undefined;
  lastNack: NackRecord | undefined;
  /** Responses sent and not yet answered (0 or 1 for a client that follows the protocol). */
  unanswered = 0;
  /** Requests that answered a nonce other than the latest (a newer response crossed them). */
  staleRequests = 0;

  recordSent(record: SentRecord): void {
    this.lastSent = record;
    this.unanswered += 1;
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

  /** Whether the client has acknowledged everything sent to it. */
  upToDate(): boolean {
    return this.lastSent !== undefined && this.lastAcked?.nonce === this.lastSent.nonce;
  }
}
