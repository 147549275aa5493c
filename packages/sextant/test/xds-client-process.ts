import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** How an RPC ended: the response body, or the gRPC status code and details. */
export type RpcResult =
  | { readonly ok: true; readonly response: string }
  | { readonly ok: false; readonly code: number; readonly details: string };

export interface RpcOptions {
  /** gRPC method path (default `/sextant.e2e.Echo/Who`). */
  readonly method?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly deadlineMs?: number;
}

const CHILD = path.join(__dirname, 'xds-client-child.cjs');
export const ECHO_METHOD = '/sextant.e2e.Echo/Who';

/**
 * A real grpc-js-xds client in a child process (see xds-client-child.cjs for why), with a
 * bootstrap naming `xdsServer` and `nodeId`. `call` makes one unary RPC to an `xds:///` target.
 */
export class XdsClientProcess {
  private readonly pending = new Map<number, (result: RpcResult) => void>();
  private nextId = 1;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as RpcResult & { id: number };
      const resolve = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      resolve?.(answer);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // The tail is enough to say why a client died.
      this.stderr = (this.stderr + chunk.toString()).slice(-8192);
    });
    child.on('exit', () => {
      for (const resolve of this.pending.values()) {
        resolve({ ok: false, code: -1, details: `the client process exited: ${this.stderr}` });
      }
      this.pending.clear();
    });
  }

  static start(options: { xdsServer: string; nodeId: string }): XdsClientProcess {
    const bootstrap = {
      xds_servers: [
        { server_uri: options.xdsServer, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: { id: options.nodeId, locality: {} },
    };
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new XdsClientProcess(child);
  }

  call(target: string, options: RpcOptions = {}): Promise<RpcResult> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve({ ok: false, code: -1, details: `the client process exited: ${this.stderr}` });
    }
    const id = this.nextId++;
    const request = {
      id,
      target: `xds:///${target}`,
      method: options.method ?? ECHO_METHOD,
      metadata: options.metadata ?? {},
      deadlineMs: options.deadlineMs ?? 2000,
    };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Ends the client: it closes its channels and exits; killed if it has not within 2 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
