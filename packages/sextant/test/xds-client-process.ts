import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { endChild } from './end-child';

/** How an RPC ended: the response body, or the gRPC status code and details. */
export type RpcResult =
  | { readonly ok: true; readonly response: string }
  | { readonly ok: false; readonly code: number; readonly details: string };

/** An RPC of a batch: how it ended, how long it took, and when it ended (epoch ms, this machine's clock). */
export type TimedRpcResult = RpcResult & { readonly ms: number; readonly at: number };

export interface RpcOptions {
  /** gRPC method path (default `/sextant.e2e.Echo/Who`). */
  readonly method?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly deadlineMs?: number;
}

export interface BatchOptions extends RpcOptions {
  readonly count: number;
  /** RPCs in flight at a time (default 25). */
  readonly concurrency?: number;
}

export interface UntilOptions extends RpcOptions {
  /** Gives up after this long, with the RPC then in flight the last one. */
  readonly maxMs: number;
  /** The pause between one RPC's end and the next one's start (default 5 ms): the daemon needs the CPU too. */
  readonly intervalMs?: number;
}

export interface UntilOutcome {
  /** The first RPC answered with the response asked for, if one was within maxMs. */
  readonly landed: TimedRpcResult | undefined;
  /** The first result and the latest ones (a bounded sample). */
  readonly results: readonly TimedRpcResult[];
  readonly calls: number;
}

const CHILD = path.join(__dirname, 'xds-client-child.cjs');
export const ECHO_METHOD = '/sextant.e2e.Echo/Who';

interface Answer {
  readonly id: number;
  readonly results?: TimedRpcResult[];
  readonly calls?: number;
}

/**
 * A real grpc-js-xds client in a child process (see xds-client-child.cjs for why), with a
 * bootstrap naming `xdsServer` and `nodeId`. `call` makes one unary RPC to an `xds:///` target;
 * `batch` and `callUntil` make many inside the child, so their count costs no pipe round trips.
 */
export class XdsClientProcess {
  /** Answers awaited, by request id: each gets its answer, or why the process ended first. */
  private readonly pending = new Map<number, (answer: Answer | { exited: string }) => void>();
  private nextId = 1;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer;
      const settle = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      settle?.(answer);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // The tail is enough to say why a client died.
      this.stderr = (this.stderr + chunk.toString()).slice(-8192);
    });
    child.on('exit', () => {
      for (const settle of this.pending.values()) settle({ exited: this.exitDetails() });
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
    return XdsClientProcess.withBootstrapEnv({ GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) });
  }

  /** A client whose bootstrap comes from `env`: GRPC_XDS_BOOTSTRAP (a file) or GRPC_XDS_BOOTSTRAP_CONFIG. */
  static withBootstrapEnv(env: Readonly<Record<string, string>>): XdsClientProcess {
    const { GRPC_XDS_BOOTSTRAP: _file, GRPC_XDS_BOOTSTRAP_CONFIG: _config, ...inherited } = process.env;
    const child = spawn(process.execPath, [CHILD], {
      env: { ...inherited, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new XdsClientProcess(child);
  }

  async call(target: string, options: RpcOptions = {}): Promise<RpcResult> {
    const answer = await this.request(target, options);
    if ('exited' in answer) return { ok: false, code: -1, details: answer.exited };
    const { id: _id, ...result } = answer as Answer & RpcResult;
    return result;
  }

  /** `count` RPCs, `concurrency` at a time, made by the child. */
  async batch(target: string, options: BatchOptions): Promise<TimedRpcResult[]> {
    const { count, concurrency = 25, ...rpc } = options;
    const answer = await this.request(target, rpc, { count, concurrency });
    if ('exited' in answer) throw new Error(answer.exited);
    return answer.results ?? [];
  }

  /** RPCs one after another until one is answered with `response`, for at most `maxMs`. */
  async callUntil(target: string, response: string, options: UntilOptions): Promise<UntilOutcome> {
    const { maxMs, intervalMs = 5, ...rpc } = options;
    const answer = await this.request(target, rpc, { until: response, maxMs, intervalMs });
    if ('exited' in answer) throw new Error(answer.exited);
    const results = answer.results ?? [];
    const last = results.at(-1);
    return {
      landed: last?.ok && last.response === response ? last : undefined,
      results,
      calls: answer.calls ?? 0,
    };
  }

  /** Ends the client: it closes its channels and exits; killed if it has not within 2 s. */
  close(): Promise<void> {
    return endChild(this.child);
  }

  private request(
    target: string,
    options: RpcOptions,
    batch?: Record<string, unknown>,
  ): Promise<Answer | { exited: string }> {
    if (this.exited()) return Promise.resolve({ exited: this.exitDetails() });
    const id = this.nextId++;
    const request = {
      id,
      target: `xds:///${target}`,
      method: options.method ?? ECHO_METHOD,
      metadata: options.metadata ?? {},
      deadlineMs: options.deadlineMs ?? 2000,
      ...(batch && { batch }),
    };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  private exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private exitDetails(): string {
    return `the client process exited: ${this.stderr}`;
  }
}
