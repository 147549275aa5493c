import dns from 'node:dns';
import { sleep } from '@sextant/adapter-kit';
import type { DnsAnswer, Logger, NameResolutionSink } from '@sextant/core';

/** Looks a name up: every address it has (as `dns.promises.lookup(name, { all: true })` gives them). */
export type LookupFunction = (name: string) => Promise<readonly { readonly address: string }[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, then the name servers), as the platform's clients use it. */
export const systemLookup: LookupFunction = (name) => dns.promises.lookup(name, { all: true });

/** Lookups at once: getaddrinfo runs on libuv's pool (4 threads), which file reads share. */
export const DNS_CONCURRENCY = 2;
/** A lookup that has not answered by then counts as failed (its name keeps its last known addresses). */
export const DNS_LOOKUP_TIMEOUT_MS = 5000;
/** Names looked up at most; the rest are reported as not looked up (sorted, so the same ones each time). */
export const MAX_DNS_NAMES = 1000;
/** How much of a lookup's error is kept. */
const ERROR_TEXT_MAX = 120;

export interface DnsResolverOptions {
  /** How often every name is looked up again (`dns.refresh`). */
  readonly refreshMs: number;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  readonly maxNames?: number;
}

/**
 * Resolves the names resolution DNS ServiceEntries need (core's NameResolutionSink says which)
 * and reports the answers back: a new name at once, every name again every `refreshMs`. A failed
 * lookup is reported as such (core keeps the name's last known addresses and shows why on the
 * ServiceEntry's status) and logged once per distinct failure of a name; an answer core already
 * has publishes nothing, so a refresh that finds no change costs no snapshot. (Addresses per
 * name are capped in core: MAX_ADDRESSES_PER_NAME, the first sorted, whatever order they came in.)
 */
export class DnsResolver {
  private readonly controller = new AbortController();
  /** Names waiting for a lookup, in the order they were asked for. */
  private readonly pending = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly jobs = new Set<Promise<void>>();
  /** Names looked up at least once since they were asked for. */
  private readonly looked = new Set<string>();
  /** The last failure logged for each failing name (so a name that keeps failing logs once). */
  private readonly failures = new Map<string, string>();
  private overCap = false;
  private unsubscribe: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private readonly maxNames: number;

  constructor(
    private readonly sink: NameResolutionSink,
    private readonly options: DnsResolverOptions,
    private readonly lookup: LookupFunction = systemLookup,
  ) {
    this.timeoutMs = options.timeoutMs ?? DNS_LOOKUP_TIMEOUT_MS;
    this.maxNames = options.maxNames ?? MAX_DNS_NAMES;
  }

  /** Looks every name up now, then again every refresh, and each new name as soon as it is asked for. */
  start(): void {
    if (this.loop) return;
    this.unsubscribe = this.sink.onNamesChanged((names) => this.namesChanged(names));
    this.loop = this.run(this.controller.signal);
  }

  /** Stops looking names up; resolves once no timer is left and every lookup has ended or been let go. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.unsubscribe?.();
    this.pending.clear();
    await this.loop;
    await Promise.all(this.jobs);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.ask(this.sink.names(), () => true);
      await sleep(this.options.refreshMs, signal);
    }
  }

  /** New names are looked up now; what is known of names no longer asked for is forgotten. */
  private namesChanged(names: ReadonlySet<string>): void {
    for (const name of this.looked) if (!names.has(name)) this.looked.delete(name);
    for (const name of this.failures.keys()) if (!names.has(name)) this.failures.delete(name);
    this.ask(names, (name) => !this.looked.has(name));
  }

  private ask(names: ReadonlySet<string>, wanted: (name: string) => boolean): void {
    if (this.controller.signal.aborted) return;
    const sorted = [...names].sort();
    const over = sorted.length > this.maxNames;
    if (over !== this.overCap) {
      this.overCap = over;
      if (over) {
        this.options.logger.warn(
          { names: sorted.length, limit: this.maxNames },
          `ServiceEntries ask for ${sorted.length} names to resolve: only the first ${this.maxNames} (sorted) are looked up`,
        );
      }
    }
    for (const [index, name] of sorted.entries()) {
      if (!wanted(name)) continue;
      if (index >= this.maxNames) {
        this.looked.add(name);
        this.sink.resolved(name, {
          error: `not looked up: more than ${this.maxNames} names to resolve`,
        });
      } else if (!this.inFlight.has(name)) {
        this.pending.add(name);
      }
    }
    this.pump();
  }

  private pump(): void {
    for (const name of this.pending) {
      if (this.inFlight.size >= DNS_CONCURRENCY || this.controller.signal.aborted) return;
      this.pending.delete(name);
      if (!this.sink.names().has(name)) continue;
      this.inFlight.add(name);
      const job: Promise<void> = this.resolve(name).finally(() => {
        this.inFlight.delete(name);
        this.jobs.delete(job);
        this.pump();
      });
      this.jobs.add(job);
    }
  }

  private async resolve(name: string): Promise<void> {
    const lookup: Promise<DnsAnswer> = Promise.resolve()
      .then(() => this.lookup(name))
      .then(
        (found) => ({ addresses: found.map((entry) => entry.address) }),
        (error: unknown) => ({ error: lookupError(error) }),
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DnsAnswer>((resolve) => {
      timer = setTimeout(() => resolve({ error: `no answer within ${this.timeoutMs} ms` }), this.timeoutMs);
    });
    const stopped = aborted(this.controller.signal);
    const answer = await Promise.race([lookup, timeout, stopped.promise]);
    clearTimeout(timer);
    if (answer !== undefined) this.report(name, answer);
    // The slot stays taken until the lookup itself ends: one that hangs holds a thread of libuv's
    // pool, and no more than DNS_CONCURRENCY of them may be.
    await Promise.race([lookup, stopped.promise]);
    stopped.dispose();
  }

  private report(name: string, answer: DnsAnswer): void {
    if (this.controller.signal.aborted || !this.sink.names().has(name)) return;
    this.looked.add(name);
    const logger = this.options.logger;
    if ('error' in answer) {
      if (this.failures.get(name) !== answer.error) {
        this.failures.set(name, answer.error);
        logger.warn(
          { name, error: answer.error },
          `looking up ${name} failed: its last known addresses stay in use`,
        );
      }
    } else if (this.failures.delete(name)) {
      logger.info({ name, addresses: answer.addresses.length }, `${name} resolves again`);
    }
    this.sink.resolved(name, answer);
  }
}

/** A lookup error as shown: its code (ENOTFOUND, EAI_AGAIN) when it has one. */
function lookupError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return text.slice(0, ERROR_TEXT_MAX);
}

/** A promise that resolves (to undefined) when `signal` aborts, and a way to stop listening. */
function aborted(signal: AbortSignal): { promise: Promise<undefined>; dispose: () => void } {
  let done: () => void = () => undefined;
  const promise = new Promise<undefined>((resolve) => {
    if (signal.aborted) return resolve(undefined);
    done = () => resolve(undefined);
    signal.addEventListener('abort', done, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', done) };
}
