import path from 'node:path';
import type { ListenerConfig } from '@sextant/core';
import { ServerTls } from '@sextant/server';
import type { Logger } from 'pino';

/** The listener's TLS files (relative to the config file), or undefined for a plaintext listener. */
export function listenerTls(
  name: string,
  listener: ListenerConfig,
  baseDir: string,
  logger: Logger,
): ServerTls | undefined {
  const tls = listener.tls;
  if (tls === undefined) return undefined;
  const file = (p: string) => path.resolve(baseDir, p);
  return new ServerTls(
    {
      certFile: file(tls.certFile),
      keyFile: file(tls.keyFile),
      ...(tls.clientCAFile !== undefined && { clientCAFile: file(tls.clientCAFile) }),
      requireClientCert: tls.requireClientCert !== false,
    },
    { listener: name, logger: logger.child({ listener: name }) },
  );
}
