import {
  Backoff,
  readTlsFiles,
  Redactor,
  SharedTokenBucket,
  sleep,
  TlsFileError,
  TokenSource,
  type TlsSetting,
} from '@sextant/adapter-kit';
import type { Adapter, Logger, RegistrySink } from '@sextant/core';
import { NomadClient, type TlsConnectOptions } from './nomad/nomad-client';
import { NomadError } from './nomad/nomad-error';
import type { NomadSettings } from './settings';
import { NomadSync } from './sync/nomad-sync';
import { Gate } from './watch/gate';
import { RequestSlots } from './watch/request-slots';

/**
 * `type: nomad`: Nomad's native service registrations (`provider = "nomad"`) in the mesh. One
 * run owns one HTTP agent; when the signal aborts, every watch stops, every connection closes,
 * and only then does `run` resolve.
 */
export class NomadAdapter implements Adapter {
  constructor(
    private readonly settings: NomadSettings,
    private readonly logger: Logger,
  ) {}

  async run(platformSink: RegistrySink, signal: AbortSignal): Promise<void> {
    // Everything the adapter shows or logs goes through the redactor: Nomad (or a proxy in front
    // of it) may echo the token in an error, and the error is passed on as it came.
    const redactor = new Redactor();
    const sink = redactor.sink(platformSink);
    const logger = redactor.logger(this.logger);
    const token = new TokenSource(this.settings.token, redactor);
    const tls = await this.readTls(sink, logger, signal);
    if (signal.aborted) return;
    const { settings } = this;
    // The event stream holds one connection of the bound for itself.
    const streams = settings.eventStream ? 1 : 0;
    const slots = new RequestSlots(settings.maxConcurrentRequests - streams, settings.maxStalenessMs);
    const client = new NomadClient(
      {
        address: settings.address,
        region: settings.region,
        stale: settings.stale,
        maxConnections: settings.maxConcurrentRequests,
      },
      token,
      tls,
    );
    logger.info(
      { address: settings.address.origin, namespaces: settings.namespaces, region: settings.region },
      'watching Nomad service registrations',
    );
    try {
      const reads = {
        client,
        slots,
        waitMs: settings.waitMs,
        perPage: settings.perPage,
        blocking: new Gate(),
      };
      const rateLimit = new SharedTokenBucket(settings.rateLimit.burst, settings.rateLimit.intervalMs);
      await new NomadSync({ settings, reads, rateLimit, sink, logger }, signal).run();
    } finally {
      await client.close();
    }
  }

  /** Reads the certificate files, retrying (and saying why) while one cannot be read. */
  private async readTls(
    sink: RegistrySink,
    logger: Logger,
    signal: AbortSignal,
  ): Promise<TlsConnectOptions | undefined> {
    const tls = this.settings.tls;
    if (!tls) return undefined;
    const backoff = new Backoff(this.settings.retry.initialMs, this.settings.retry.maxMs);
    let last: string | undefined;
    while (!signal.aborted) {
      try {
        return await readTlsConnectOptions(tls);
      } catch (error) {
        const reason = error instanceof NomadError ? error.message : String(error);
        if (reason !== last) {
          sink.setStatus('syncing', reason);
          logger.error({ reason }, 'cannot start watching Nomad');
          last = reason;
        }
        await sleep(backoff.next(), signal);
      }
    }
    return undefined;
  }
}

/** Reads the certificate files named in the settings; a file that cannot be read is a `local` error naming it. */
async function readTlsConnectOptions(tls: TlsSetting): Promise<TlsConnectOptions> {
  try {
    const { serverName, ...pem } = await readTlsFiles(tls);
    return { ...pem, ...(serverName !== undefined && { servername: serverName }) };
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    const reason = `cannot read ${error.option} ${error.file}: ${(error.cause as Error).message}`;
    throw new NomadError('local', reason, { cause: error.cause });
  }
}
