import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { endChild } from './end-child';

const CHILD = path.join(__dirname, 'xds-server-child.cjs');

/**
 * A real grpc-js-xds XdsServer in a child process (see xds-server-child.cjs), bound to `listen`
 * with the bootstrap in `bootstrap`; `serving` settles once its listener came from the xDS server.
 */
export class XdsServerProcess {
  private stderr = '';
  private servingPort: number | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { serving?: number };
      if (message.serving !== undefined) this.servingPort = message.serving;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // The tail is enough to say why a server died.
      this.stderr = (this.stderr + chunk.toString()).slice(-8192);
    });
  }

  static start(options: { bootstrap: string; listen: string; name: string }): XdsServerProcess {
    const { GRPC_XDS_BOOTSTRAP: _file, GRPC_XDS_BOOTSTRAP_CONFIG: _config, ...inherited } = process.env;
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...inherited,
        GRPC_XDS_BOOTSTRAP_CONFIG: options.bootstrap,
        SEXTANT_E2E_LISTEN: options.listen,
        SEXTANT_E2E_NAME: options.name,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new XdsServerProcess(child);
  }

  /** Whether it serves: it has its listener and has bound its port. */
  serving(): boolean {
    if (this.exited()) throw new Error(`the server process exited: ${this.stderr}`);
    return this.servingPort !== undefined;
  }

  /** The tail of what it wrote to stderr: why it does not serve. */
  log(): string {
    return this.stderr;
  }

  /** Ends the server: it shuts down and exits; killed if it has not within 2 s. */
  close(): Promise<void> {
    return endChild(this.child);
  }

  private exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
}
