import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { daemonConfigSchema, parseProxyIdentity, ProxyIdentityError } from '@sextant/core';
import {
  envoyV1Bootstrap,
  envoyV1CommandLineFlags,
  envoyV3Bootstrap,
  grpcBootstrap,
  type BootstrapOptions,
} from '@sextant/envoy';
import { choiceOption, stringOption, UsageError, type Command } from '../cli/command';

const FORMATS = ['envoy-v3', 'envoy-v1', 'grpc'] as const;
type Format = (typeof FORMATS)[number];

const LISTEN = daemonConfigSchema.properties.listen.properties;
/** Where each format talks to Sextant by default: the listener's default address. */
const DEFAULT_SERVER: Record<Format, string> = {
  'envoy-v3': LISTEN.xds.default,
  'envoy-v1': LISTEN.discovery.default,
  grpc: LISTEN.xds.default,
};

const RENDER: Record<Format, (options: BootstrapOptions) => Record<string, unknown>> = {
  'envoy-v3': envoyV3Bootstrap,
  'envoy-v1': envoyV1Bootstrap,
  grpc: grpcBootstrap,
};

export const bootstrapCommand: Command = {
  name: 'bootstrap',
  summary: 'print a bootstrap for an Envoy (v3 ADS or v1 REST) or a proxyless gRPC client',
  details: [
    '--format envoy-v3 (default): Envoy ≥ 1.9 on one ADS stream (envoy -c FILE); envoy-v1: Envoy ≤ 1.8',
    'polling the v1 REST APIs (node, cluster and zone go on its command line, printed on stderr);',
    'grpc: a gRPC xDS bootstrap (GRPC_XDS_BOOTSTRAP=FILE or GRPC_XDS_BOOTSTRAP_CONFIG).',
    '--node: the proxy identity, <type>~<ip>~<id>~<domain> or a bare name (docs/architecture.md).',
    `--xds host:port: Sextant's listener (default ${LISTEN.xds.default}, for envoy-v1 ${LISTEN.discovery.default}).`,
    '--locality region[/zone[/subzone]]. -o FILE writes the bootstrap there instead of stdout.',
  ].join('\n'),
  usage:
    '--node ID [--xds HOST:PORT] [--format envoy-v3|envoy-v1|grpc] [--cluster NAME] [--locality REGION/ZONE/SUBZONE] [-o FILE]',
  options: {
    node: { type: 'string' },
    xds: { type: 'string' },
    format: { type: 'string' },
    cluster: { type: 'string' },
    locality: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  positionals: { min: 0, max: 0 },
  run: async ({ values }, io) => {
    const format = choiceOption(values, 'format', FORMATS, 'envoy-v3');
    const options: BootstrapOptions = {
      node: parseNode(stringOption(values, 'node')),
      ...optional('cluster', parseCluster(stringOption(values, 'cluster'))),
      ...optional('locality', parseLocality(stringOption(values, 'locality'))),
      server: parseServer(stringOption(values, 'xds') ?? DEFAULT_SERVER[format]),
    };
    const text = `${JSON.stringify(RENDER[format](options), null, 2)}\n`;
    const file = stringOption(values, 'output');
    if (file === undefined) {
      io.stdout.write(text);
    } else {
      try {
        await fs.writeFile(path.resolve(io.cwd, file), text);
      } catch (error) {
        io.stderr.write(`sextant bootstrap: -o ${file}: ${(error as Error).message}\n`);
        return 1;
      }
    }
    if (format === 'envoy-v1') {
      io.stderr.write(`note: start Envoy with ${envoyV1CommandLineFlags(options).join(' ')}\n`);
    }
    return 0;
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [k in K]: V });
}

// Printable, no spaces: what goes into a JSON bootstrap and onto Envoy's command line unquoted.
const NAME = /^[\x21-\x7e]{1,253}$/;

function parseNode(node: string | undefined): string {
  if (node === undefined) throw new UsageError('--node ID is required (the proxy identity, node.id)');
  if (!NAME.test(node))
    throw new UsageError(`--node: "${node}" must be 1-253 printable characters, no spaces`);
  if (node.includes('~')) {
    try {
      parseProxyIdentity(node);
    } catch (error) {
      if (!(error instanceof ProxyIdentityError)) throw error;
      throw new UsageError(`--node: ${error.message}`);
    }
  }
  return node;
}

function parseCluster(cluster: string | undefined): string | undefined {
  if (cluster !== undefined && !NAME.test(cluster)) {
    throw new UsageError(`--cluster: "${cluster}" must be 1-253 printable characters, no spaces`);
  }
  return cluster;
}

function parseLocality(locality: string | undefined): BootstrapOptions['locality'] {
  if (locality === undefined) return undefined;
  const parts = locality.split('/');
  if (parts.length > 3 || parts[0] === '' || parts.some((p) => !/^[\x21-\x7e]*$/.test(p))) {
    throw new UsageError(`--locality: expected region[/zone[/subzone]], got "${locality}"`);
  }
  const [region = '', zone, subZone] = parts;
  return { region, ...optional('zone', zone || undefined), ...optional('subZone', subZone || undefined) };
}

/** `host:port` or `[v6]:port`. */
function parseServer(text: string): BootstrapOptions['server'] {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) throw new UsageError(`--xds: expected host:port, got "${text}"`);
  const host = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined && isIP(host) !== 6)
    throw new UsageError(`--xds: "${host}" is not an IPv6 address`);
  return { host, port };
}
