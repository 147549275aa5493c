import type { ResourceType } from './resource-types';

/** RBAC verbs: reads of every resource, writes of the custom resources the fake accepts writes for. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'delete';

/** What a faulted request carried, for a message that quotes it. */
export interface FaultedRequest {
  readonly path: string;
  /** The bearer token sent, if any. */
  readonly token: string | undefined;
}

/** A failure the fake answers matching requests with, instead of serving them. */
export interface FaultRule {
  /** HTTP status (and Status `code`): 401, 403, 410, 429, 500, 503, 504, …; a 3xx with `redirectTo`. */
  readonly status: number;
  /**
   * The Status message; a realistic one is chosen when absent. A function makes it from the
   * request, for errors that quote it (an authenticating proxy, a webhook's error).
   */
  readonly message?: string | ((request: FaultedRequest) => string);
  /**
   * Answer `status` as a redirect instead, as a proxy or load balancer in front of the API server
   * does when it moved: a Location on this origin (`https://10.0.0.9:6443`) with the request's own
   * path and query.
   */
  readonly redirectTo?: string;
  readonly reason?: string;
  /** For 429 (and 503/504): the `Retry-After` header and `details.retryAfterSeconds`. */
  readonly retryAfterSeconds?: number;
  /** Only requests for this resource (plural: `endpointslices`); any when absent. */
  readonly resource?: string;
  /** Only requests in this namespace (`undefined`: any, including all-namespace requests). */
  readonly namespace?: string;
  readonly verb?: Verb;
  /** Answer this many matching requests, then stop. Default: until removed. */
  readonly times?: number;
  /**
   * For watches: answer `200` and send the status as an ERROR event, then end the stream (how the
   * API server reports an expired resourceVersion), instead of an HTTP error status.
   */
  readonly asWatchEvent?: boolean;
}

/** A fault that is in force; `hits` counts the requests it answered. */
export interface InjectedFault {
  readonly hits: number;
  remove(): void;
}

interface ActiveFault {
  readonly rule: FaultRule;
  hits: number;
  left: number;
}

/** The faults in force, first injected first matched. */
export class FaultTable {
  private readonly active: ActiveFault[] = [];

  add(rule: FaultRule): InjectedFault {
    const fault: ActiveFault = { rule, hits: 0, left: rule.times ?? Number.POSITIVE_INFINITY };
    this.active.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
      remove: () => this.remove(fault),
    };
  }

  /** The fault answering this request, counted as used; undefined when it is served normally. */
  take(type: ResourceType, namespace: string | undefined, verb: Verb): FaultRule | undefined {
    const fault = this.active.find(
      ({ rule }) =>
        (rule.resource === undefined || rule.resource === type.resource) &&
        (rule.namespace === undefined || rule.namespace === namespace) &&
        (rule.verb === undefined || rule.verb === verb),
    );
    if (!fault) return undefined;
    fault.hits += 1;
    fault.left -= 1;
    if (fault.left <= 0) this.remove(fault);
    return fault.rule;
  }

  clear(): void {
    this.active.length = 0;
  }

  private remove(fault: ActiveFault): void {
    const index = this.active.indexOf(fault);
    if (index >= 0) this.active.splice(index, 1);
  }
}
