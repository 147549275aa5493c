import { readTlsFiles, Redactor, TlsFileError, TokenSource } from '@sextant/adapter-kit';
import type { AdapterFactory, Problem } from '@sextant/core';
import { ConsulAdapter } from './consul-adapter';
import { consulAdapterOptionsSchema, type ConsulAdapterOptions } from './options';
import { resolveSettings } from './settings';

/** `type: consul`: Consul's catalog and health, over blocking queries. */
export const adapter: AdapterFactory<ConsulAdapterOptions> = {
  apiVersion: 1,
  type: 'consul',
  optionsSchema: consulAdapterOptionsSchema,
  create(options, context) {
    return new ConsulAdapter(options, context);
  },
  /** For `sextant validate`: the environment, and that the token and TLS files can be read. Consul is not contacted. */
  async check(options, context) {
    const resolved = resolveSettings(options, context);
    if (!resolved.valid) return resolved.problems;
    const problems: Problem[] = [];
    const tls = resolved.value.tls;
    if (tls) {
      await readTlsFiles(tls).catch((error: Error) =>
        problems.push(
          error instanceof TlsFileError
            ? { path: error.option, message: error.reason }
            : { path: 'tls', message: error.message },
        ),
      );
    }
    await new TokenSource(resolved.value.token, new Redactor()).get().catch((error: Error) =>
      problems.push({
        path: options.tokenFile !== undefined ? 'tokenFile' : 'env CONSUL_HTTP_TOKEN_FILE',
        message: error.message,
      }),
    );
    return problems;
  },
};
