import { Registry } from '@sextant/core';
import type { Logger } from 'pino';
import { inject, injectable } from 'tsyringe';
import { DnsResolver } from './dns-resolver';
import { RuleFiles } from '../rules/rule-files';
import { AdapterSet } from './adapter-set';
import type { Listener } from './listener';
import { Reloader, type ReloadOutcome } from './reloader';
import { LISTENERS, LOGGER } from './tokens';

/** A listener that could not be opened (address in use, no permission). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/**
 * The daemon's lifecycle. Start: listeners first (so /healthz answers and discovery says 503
 * until the first sync), then rules files and the DNS resolver of their names, then adapters. Stop: listeners stop accepting and drain while adapters
 * are aborted; then the registry closes.
 */
@injectable()
export class Daemon {
  constructor(
    @inject(LOGGER) private readonly logger: Logger,
    @inject(Registry) private readonly registry: Registry,
    @inject(LISTENERS) private readonly listeners: Listener[],
    @inject(AdapterSet) private readonly adapters: AdapterSet,
    @inject(RuleFiles) private readonly ruleFiles: RuleFiles,
    @inject(DnsResolver) private readonly resolver: DnsResolver,
    @inject(Reloader) private readonly reloader: Reloader,
  ) {}

  /** Reloads sextant.yaml into the running daemon (see Reloader). */
  reload(trigger: string): Promise<ReloadOutcome> {
    return this.reloader.reload(trigger);
  }

  /** Resolves with the bound address of each listener, by name. */
  async start(): Promise<Record<string, string>> {
    const bound: Record<string, string> = {};
    for (const listener of this.listeners) {
      try {
        bound[listener.name] = await listener.start();
      } catch (error) {
        await this.stop();
        throw new ListenError(`cannot open the ${listener.name} listener: ${(error as Error).message}`);
      }
      this.logger.info(
        { listener: listener.name, address: bound[listener.name] },
        `${listener.name} listening`,
      );
    }
    // Rules first: the first snapshot, published once every adapter has synced, has them.
    await this.ruleFiles.start();
    // The names the rules ask for are looked up while adapters sync.
    this.resolver.start();
    this.adapters.start();
    return bound;
  }

  async stop(): Promise<void> {
    // A reload under way finishes first, so it starts nothing after the adapters are stopped.
    await this.reloader.close();
    await Promise.all([
      ...this.listeners.map((listener) =>
        listener
          .stop()
          .catch((error: unknown) => this.logger.warn({ err: error }, `closing ${listener.name} failed`)),
      ),
      this.adapters.stop(),
      this.ruleFiles.stop(),
      this.resolver.stop(),
    ]);
    this.registry.close();
  }
}
