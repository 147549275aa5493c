import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration, LOG_LEVELS, parseDuration } from '@sextant/core';
import { parseSpiffeId } from '@sextant/server';
import { CERT_CHAIN_FILE, CertificateAgent, KEY_FILE, ROOT_CERT_FILE } from '../agent/certificate-agent';
import { choiceOption, stringOption, UsageError, type Command } from '../cli/command';
import { LogOutput } from '../log-output';
import { createLogger } from '../logging';

export const agentCommand: Command = {
  name: 'agent',
  summary: "keep a workload's certificate in a directory, from the CA (ca: on a sextant's xDS listener)",
  details: [
    `Writes ${CERT_CHAIN_FILE} (leaf and intermediates), ${KEY_FILE} (0600) and ${ROOT_CERT_FILE} into --out,`,
    'each replaced atomically: the files Envoy (file-based SDS) and gRPC (file_watcher) read.',
    'The key is made here and never sent. Renews at half the lifetime; retries with backoff.',
    '--token-file: the token (sextant token create, or a Kubernetes service-account token).',
    "--ca HOST:PORT: the xDS listener. --ca-cert FILE: roots for its TLS certificate (default: the system's).",
    '--identity-hint SPIFFE_ID: put in the CSR (the CA issues for the identity the token proves).',
    '--cert-ttl DURATION: validity to ask for (default: the CA’s). Stops on SIGTERM or SIGINT.',
    'Docs: docs/security.md',
  ].join('\n'),
  usage:
    '--token-file FILE --ca HOST:PORT --out DIR [--ca-cert FILE] [--identity-hint SPIFFE_ID] [--cert-ttl DURATION] [--log-level LEVEL]',
  options: {
    'token-file': { type: 'string' },
    ca: { type: 'string' },
    out: { type: 'string' },
    'ca-cert': { type: 'string' },
    'identity-hint': { type: 'string' },
    'cert-ttl': { type: 'string' },
    'log-level': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  run: async ({ values }, io) => {
    const required = (flag: string) => {
      const value = stringOption(values, flag);
      if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
      return value;
    };
    const tokenFile = path.resolve(io.cwd, required('token-file'));
    const caAddress = required('ca');
    if (!/^[^\s/]+:\d{1,5}$/.test(caAddress))
      throw new UsageError(`--ca takes HOST:PORT, not "${caAddress}"`);
    const outDir = path.resolve(io.cwd, required('out'));
    const hint = stringOption(values, 'identity-hint');
    if (hint !== undefined && parseSpiffeId(hint) === undefined) {
      throw new UsageError(`--identity-hint must be spiffe://<trust-domain>/ns/<ns>/sa/<sa>, not "${hint}"`);
    }
    const ttlText = stringOption(values, 'cert-ttl');
    const ttlMs = ttlText === undefined ? 0 : parseDuration(ttlText);
    if (ttlMs === undefined || (ttlText !== undefined && ttlMs < 1000)) {
      throw new UsageError(`--cert-ttl takes a duration of at least 1s (like 12h), not "${ttlText ?? ''}"`);
    }
    const level = choiceOption(values, 'log-level', LOG_LEVELS, 'info');
    const caCertFile = stringOption(values, 'ca-cert');
    let caCertPem: string | undefined;
    if (caCertFile !== undefined) {
      try {
        caCertPem = await readFile(path.resolve(io.cwd, caCertFile), 'utf8');
      } catch (error) {
        io.stderr.write(
          `sextant agent: cannot read --ca-cert ${caCertFile}: ${(error as NodeJS.ErrnoException).code ?? ''}\n`,
        );
        return 2;
      }
    }
    const logger = createLogger(level, new LogOutput(io.stdout.fd), io.stdout.isTTY).child({
      component: 'agent',
    });
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const agent = new CertificateAgent({
      caAddress,
      tokenFile,
      outDir,
      logger,
      validitySeconds: Math.round(ttlMs / 1000),
      ...(caCertPem !== undefined && { caCertPem }),
      ...(hint !== undefined && { identityHint: hint }),
    });
    logger.info(
      { ca: caAddress, outDir, ...(ttlMs > 0 && { certTtl: formatDuration(ttlMs) }) },
      'sextant agent started',
    );
    await agent.start();
    const signal = await stopped;
    agent.stop();
    logger.info({ signal }, 'sextant agent stopped');
    return 0;
  },
};
