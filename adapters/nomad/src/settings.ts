import path from 'node:path';
import {
  HostnameTemplate,
  ServiceSelection,
  type ServiceSelectionOptions,
  type TlsSetting,
  type TokenSetting,
} from '@sextant/adapter-kit';
import { durationMs, type AdapterContext, type Problem, type Protocol, type Validation } from '@sextant/core';
import { DEFAULTS, MAX_WAIT_MS, type NomadAdapterOptions } from './options';

/** How registrations become mesh services. */
export interface MappingSettings {
  readonly hostname: HostnameTemplate;
  readonly selection: ServiceSelection;
  readonly defaultProtocol: Protocol;
  readonly servicePort: number;
  /** Locality region of every instance (Nomad's registrations carry only the datacenter). */
  readonly region: string | undefined;
}

/** Everything the adapter runs on: options and environment resolved, defaults applied. */
export interface NomadSettings {
  readonly address: URL;
  readonly token: TokenSetting;
  readonly tls: TlsSetting | undefined;
  readonly region: string | undefined;
  readonly namespaces: '*' | readonly string[];
  readonly stale: boolean;
  readonly waitMs: number;
  readonly perPage: number | undefined;
  readonly maxConcurrentRequests: number;
  readonly maxStalenessMs: number;
  /** The budget of re-reads after early answers, for every watch together. */
  readonly rateLimit: { readonly burst: number; readonly intervalMs: number };
  /** Follow the event stream for hints of which service changed. */
  readonly eventStream: boolean;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly mapping: MappingSettings;
}

type Env = AdapterContext['env'];

/**
 * Resolves options (already checked by the schema) and the environment the way Nomad's own CLI
 * does: an option wins over its `NOMAD_*` variable. Problems name the option or the variable.
 * TLS settings from the environment apply to https addresses only, so a shell that exports
 * `NOMAD_CACERT` for another cluster does not break a plain-http one.
 */
export function resolveSettings(
  options: NomadAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
): Validation<NomadSettings> {
  const problems: Problem[] = [];
  const env = context.env;
  const address = resolveAddress(options.address, env, problems);
  const tls = resolveTls(options, context, address?.protocol === 'https:', problems);
  const token = resolveToken(options, context, problems);
  if (problems.length > 0 || !address) return { valid: false, problems };
  const region = options.region ?? nonEmpty(env.NOMAD_REGION);
  return {
    valid: true,
    value: {
      address,
      token,
      tls,
      region,
      namespaces: options.namespaces ?? DEFAULTS.namespaces,
      stale: options.stale ?? false,
      waitMs: Math.min(MAX_WAIT_MS, Math.max(1, durationMs(options.wait ?? DEFAULTS.wait))),
      perPage: options.perPage,
      maxConcurrentRequests: options.maxConcurrentRequests ?? DEFAULTS.maxConcurrentRequests,
      maxStalenessMs: durationMs(options.maxStaleness ?? DEFAULTS.maxStaleness),
      rateLimit: {
        burst: options.rateLimit?.burst ?? DEFAULTS.rateLimit.burst,
        intervalMs: durationMs(options.rateLimit?.interval ?? DEFAULTS.rateLimit.interval),
      },
      eventStream: options.eventStream ?? DEFAULTS.eventStream,
      retry: {
        initialMs: Math.max(1, durationMs(options.retry?.initial ?? DEFAULTS.retry.initial)),
        maxMs: Math.max(1, durationMs(options.retry?.max ?? DEFAULTS.retry.max)),
      },
      mapping: {
        hostname: new HostnameTemplate(options.hostname ?? DEFAULTS.hostname),
        selection: new ServiceSelection(emptyIncludesAsAbsent(options.services)),
        defaultProtocol: options.defaultProtocol ?? DEFAULTS.defaultProtocol,
        servicePort: options.servicePort ?? DEFAULTS.servicePort,
        region,
      },
    },
  };
}

function resolveAddress(option: string | undefined, env: Env, problems: Problem[]): URL | undefined {
  const fromEnv = nonEmpty(env.NOMAD_ADDR);
  const text = option ?? fromEnv ?? DEFAULTS.address;
  const where = option !== undefined ? 'address' : fromEnv !== undefined ? 'NOMAD_ADDR' : 'address';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push({ path: where, message: `not an http:// or https:// URL (${JSON.stringify(text)})` });
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push({ path: where, message: `not an http:// or https:// URL (${JSON.stringify(text)})` });
    return undefined;
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    problems.push({
      path: where,
      message: `give the agent's address only, like https://nomad.example:4646 (${JSON.stringify(text)})`,
    });
    return undefined;
  }
  return url;
}

function resolveTls(
  options: NomadAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
  https: boolean,
  problems: Problem[],
): TlsSetting | undefined {
  const given = options.tls;
  if (given && !https) {
    problems.push({
      path: 'tls',
      message: 'is set, but the address is http://: use https:// to talk TLS to Nomad',
    });
    return undefined;
  }
  if (!https) return undefined;
  const env = context.env;
  const file = (option: string | undefined, variable: string): string | undefined => {
    if (option !== undefined) return context.resolvePath(option);
    const value = nonEmpty(env[variable]);
    return value === undefined ? undefined : path.resolve(value);
  };
  const tls: TlsSetting = {
    ca: file(given?.ca, 'NOMAD_CACERT'),
    cert: file(given?.cert, 'NOMAD_CLIENT_CERT'),
    key: file(given?.key, 'NOMAD_CLIENT_KEY'),
    serverName: given?.serverName ?? nonEmpty(env.NOMAD_TLS_SERVER_NAME),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    problems.push({
      path: tls.cert === undefined ? 'tls.cert' : 'tls.key',
      message:
        'a client certificate needs both tls.cert and tls.key (or NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY)',
    });
  }
  return tls;
}

function resolveToken(
  options: NomadAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
  problems: Problem[],
): TokenSetting {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    problems.push({ path: 'tokenFile', message: 'give token or tokenFile, not both' });
  }
  if (options.token !== undefined) return { kind: 'value', value: options.token };
  if (options.tokenFile !== undefined) return { kind: 'file', path: context.resolvePath(options.tokenFile) };
  const fromEnv = nonEmpty(context.env.NOMAD_TOKEN);
  return fromEnv === undefined ? { kind: 'none' } : { kind: 'value', value: fromEnv };
}

/** Nomad reads an empty `include` or `includeTags` as no restriction (the kit: as selecting nothing). */
function emptyIncludesAsAbsent(selection: ServiceSelectionOptions = {}): ServiceSelectionOptions {
  const { include, includeTags, ...rest } = selection;
  return {
    ...rest,
    ...(include !== undefined && include.length > 0 && { include }),
    ...(includeTags !== undefined && includeTags.length > 0 && { includeTags }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
