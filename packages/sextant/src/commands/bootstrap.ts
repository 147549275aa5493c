import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { daemonConfigSchema, parseProxyIdentity, ProxyIdentityError } from '@sextant/core';
import {
  envoyV1Bootstrap,
  envoyV1CommandLineFlags,
  envoyV3Bootstrap,
  grpcBootstrap,
  workloadSdsFiles,
  type BootstrapOptions,
} from '@sextant/envoy';
import { choiceOption, stringOption, UsageError, type Command } from '../cli/command';

const FORMATS = ['envoy-v3', 'envoy-v1', 'grpc'] as const;
type Format = (typeof FORMATS)[number];

const LISTEN = daemonConfigSchema.properties.listen.properties;
const DEFAULT_CERTS_DIR =
  daemonConfigSchema.properties.security.properties.meshTls.properties.certsDir.default;
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
    `--mtls: mesh mTLS with the workload certificates in --certs-dir (default ${DEFAULT_CERTS_DIR}, the daemon's`,
    'security.meshTls.certsDir): for grpc, certificate providers in the bootstrap; for envoy-v3, the SDS files',
    'default.sds.json and rootca.sds.json written into that directory (envoy-v1 needs nothing more).',
  ].join('\n'),
  usage:
    '--node ID [--xds HOST:PORT] [--format envoy-v3|envoy-v1|grpc] [--cluster NAME] [--locality REGION/ZONE/SUBZONE] [--mtls [--certs-dir DIR]] [-o FILE]',
  options: {
    node: { type: 'string' },
    xds: { type: 'string' },
    format: { type: 'string' },
    cluster: { type: 'string' },
    locality: { type: 'string' },
    output: { type: 'string', short: 'o' },
    mtls: { type: 'boolean' },
    'certs-dir': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  run: async ({ values }, io) => {
    const format = choiceOption(values, 'format', FORMATS, 'envoy-v3');
    const mtls = parseMtls(values.mtls === true, stringOption(values, 'certs-dir'));
    const options: BootstrapOptions = {
      node: parseNode(stringOption(values, 'node')),
      ...optional('cluster', parseCluster(stringOption(values, 'cluster'))),
      ...optional('locality', parseLocality(stringOption(values, 'locality'))),
      server: parseServer(stringOption(values, 'xds') ?? DEFAULT_SERVER[format]),
      ...optional('mtls', mtls),
    };
    if (mtls && format === 'envoy-v3') {
      // The SDS files name the certificate files only, so writing them once is enough: Envoy
      // re-reads the certificates whenever `sextant agent` replaces them.
      const dir = path.resolve(io.cwd, mtls.certsDir);
      try {
        await fs.mkdir(dir, { recursive: true });
        for (const [file, content] of Object.entries(workloadSdsFiles(dir))) {
          await fs.writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
        }
      } catch (error) {
        io.stderr.write(`sextant bootstrap: --certs-dir ${mtls.certsDir}: ${(error as Error).message}\n`);
        return 1;
      }
      io.stderr.write(`note: wrote the SDS files default.sds.json and rootca.sds.json into ${dir}\n`);
    }
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

function parseMtls(mtls: boolean, certsDir: string | undefined): BootstrapOptions['mtls'] {
  if (!mtls) {
    if (certsDir !== undefined) throw new UsageError('--certs-dir is for --mtls');
    return undefined;
  }
  const dir = certsDir ?? DEFAULT_CERTS_DIR;
  // The proxy reads the directory from its own host: relative to where it runs means nothing there.
  if (!path.isAbsolute(dir) || dir.includes('\0'))
    throw new UsageError(`--certs-dir: "${dir}" must be an absolute path`);
  return { certsDir: path.posix.normalize(dir) };
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
