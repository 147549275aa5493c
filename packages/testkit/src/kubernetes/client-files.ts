import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TEST_CA_CERT } from './test-certificate';

export interface KubeconfigOptions {
  /** A bearer token written into the kubeconfig. */
  readonly token?: string;
  /** A file the client reads its bearer token from (`token-file`), for rotation tests. */
  readonly tokenFile?: string;
  /** Name of the context (and of its cluster and user). Default `fake`. */
  readonly context?: string;
  /** The context's default namespace. */
  readonly namespace?: string;
}

/** Where the in-cluster files were written, and the environment a pod would see. */
export interface ServiceAccount {
  /** Prefix of `/var/run/secrets/kubernetes.io/serviceaccount` (client-node's `loadFromCluster(prefix)`). */
  readonly pathPrefix: string;
  readonly tokenFile: string;
  readonly env: { readonly KUBERNETES_SERVICE_HOST: string; readonly KUBERNETES_SERVICE_PORT: string };
}

interface Endpoint {
  readonly url: string;
  readonly port: number;
  readonly tls: boolean;
}

const SERVICE_ACCOUNT_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

/**
 * An ordinary kubeconfig for the fake: a cluster (its CA inline when it serves HTTPS; plain HTTP
 * needs `insecure-skip-tls-verify`, which client-node requires for an `http:` server), a user with
 * a token or a token file, and a context that is current.
 */
export function writeKubeconfig(file: string, fake: Endpoint, options: KubeconfigOptions = {}): string {
  const name = options.context ?? 'fake';
  const cluster = fake.tls
    ? `    certificate-authority-data: ${Buffer.from(TEST_CA_CERT).toString('base64')}`
    : '    insecure-skip-tls-verify: true';
  const user = [
    ...(options.token !== undefined ? [`    token: ${JSON.stringify(options.token)}`] : []),
    ...(options.tokenFile !== undefined ? [`    token-file: ${JSON.stringify(options.tokenFile)}`] : []),
  ];
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${fake.url}`,
    cluster,
    'users:',
    `- name: ${name}`,
    user.length > 0 ? '  user:' : '  user: {}',
    ...user,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    ...(options.namespace !== undefined ? [`    namespace: ${options.namespace}`] : []),
    `current-context: ${name}`,
    '',
  ].join('\n');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/**
 * The files a pod's service account mounts, under `root`: `token`, `ca.crt` and `namespace`. The
 * in-cluster URL is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, so the fake must
 * serve HTTPS.
 */
export function writeServiceAccount(
  root: string,
  fake: Endpoint,
  token: string,
  namespace: string,
): ServiceAccount {
  if (!fake.tls)
    throw new Error('the in-cluster path needs the fake to serve HTTPS: start it with tls: true');
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token);
  writeFileSync(join(dir, 'ca.crt'), TEST_CA_CERT);
  writeFileSync(join(dir, 'namespace'), namespace);
  return {
    pathPrefix: root,
    tokenFile,
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(fake.port) },
  };
}
