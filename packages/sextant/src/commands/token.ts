import path from 'node:path';
import { ConfigError, formatDuration, formatProblem, parseDuration, silentLogger } from '@sextant/core';
import {
  CaSetupError,
  createWorkloadToken,
  DEFAULT_TOKEN_AUDIENCE,
  MAX_TOKEN_TTL_MS,
  parseSpiffeId,
} from '@sextant/server';
import { stringOption, UsageError, type Command } from '../cli/command';
import { loadConfig } from '../config/load-config';
import { loadWorkloadCa } from '../daemon/workload-ca';

const DEFAULT_TTL = '1h';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create a workload token: a workload trades it with the CA (ca: in the config) for a certificate',
  details: [
    'sextant token create --identity spiffe://<trust-domain>/ns/<ns>/sa/<sa> prints a token (a JWT',
    "signed with the CA's key) that proves that identity to the CA until it expires; whoever holds",
    'it can get certificates for the identity, so hand it over as you would a key.',
    `--ttl: how long the token is valid (default ${DEFAULT_TTL}, at most ${formatDuration(MAX_TOKEN_TTL_MS)}).`,
    `--audience: the aud claim (default ${DEFAULT_TOKEN_AUDIENCE}, the one the CA accepts).`,
    '--config: the sextant.yaml of the CA (default ./sextant.yaml). Docs: docs/security.md',
  ].join('\n'),
  usage: 'create --identity SPIFFE_ID [--ttl DURATION] [--audience AUD] [--config FILE]',
  options: {
    identity: { type: 'string' },
    ttl: { type: 'string' },
    audience: { type: 'string' },
    config: { type: 'string', short: 'c' },
  },
  positionals: { min: 1, max: 1 },
  run: async ({ values, positionals }, io) => {
    if (positionals[0] !== 'create')
      throw new UsageError(`unknown token command "${positionals[0] ?? ''}" (create)`);
    const identityText = stringOption(values, 'identity');
    if (identityText === undefined) throw new UsageError('--identity is required');
    const identity = parseSpiffeId(identityText);
    if (identity === undefined) {
      throw new UsageError(
        `--identity must be spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>, not "${identityText}"`,
      );
    }
    const ttlText = stringOption(values, 'ttl') ?? DEFAULT_TTL;
    const ttlMs = parseDuration(ttlText);
    if (ttlMs === undefined || ttlMs < 1000 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new UsageError(
        `--ttl takes a duration from 1s to ${formatDuration(MAX_TOKEN_TTL_MS)} (like 30m or 12h), not "${ttlText}"`,
      );
    }
    const audience = stringOption(values, 'audience');
    if (audience === '') throw new UsageError('--audience must not be empty');
    const configFile = path.resolve(io.cwd, stringOption(values, 'config') ?? 'sextant.yaml');
    let ca;
    try {
      ca = await loadWorkloadCa(await loadConfig(configFile, { env: io.env, logger: silentLogger }));
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr.write(
          `sextant token: ${configFile} cannot be used:\n${error.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`,
        );
        return 2;
      }
      if (error instanceof CaSetupError) {
        io.stderr.write(`sextant token: ${configFile}: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    if (ca === undefined) {
      io.stderr.write(
        `sextant token: ${configFile} configures no CA (ca:): there is no key to sign tokens with\n`,
      );
      return 2;
    }
    if (identity.trustDomain !== ca.trustDomain) {
      throw new UsageError(
        `--identity is in trust domain ${identity.trustDomain}; the CA issues for ${ca.trustDomain} (ca.trustDomain)`,
      );
    }
    const token = await createWorkloadToken(ca.material, ca.trustDomain, {
      identity: identity.uri,
      ttlMs,
      ...(audience !== undefined && { audience }),
    });
    io.stdout.write(`${token}\n`);
    return 0;
  },
};
