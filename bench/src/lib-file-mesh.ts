import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { instanceAddress, serviceHostname, servicesFile, type MeshShape } from './lib-daemon';
import { median } from './table';

/** The v1 SDS path of the i-th service of servicesFile. */
export function sdsPath(i: number): string {
  return `/v1/registration/${serviceHostname(i)}|http`;
}

/** A servicesFile text that can be edited one instance address at a time. */
export class EditableMesh {
  private text: string;
  private readonly addresses = new Map<number, string>();
  private edits = 0;

  constructor(readonly shape: MeshShape) {
    this.text = servicesFile(shape);
  }

  get content(): string {
    return this.text;
  }

  /** Moves the first instance of a service (a different one each time) to a new address. */
  edit(): { readonly service: number; readonly address: string } {
    const n = this.edits;
    this.edits += 1;
    const service = (n * 7919 + 17) % this.shape.services;
    const before = this.addresses.get(service) ?? instanceAddress(service, 0);
    // 10.250.x.y is no address servicesFile writes, and n makes it unique.
    const address = `10.250.${(n >> 8) & 255}.${n & 255}`;
    this.text = this.text.replace(`"address":"${before}"`, `"address":"${address}"`);
    this.addresses.set(service, address);
    return { service, address };
  }
}

/** Replaces `file` by renaming a new file over it, as editors and ConfigMap updates do. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const next = path.join(path.dirname(file), `.${path.basename(file)}.next`);
  await fs.promises.writeFile(next, text);
  await fs.promises.rename(next, file);
}

/** The parse floor: a fresh `node` process reading the file and JSON.parse-ing it. */
const PARSE_FLOOR = `
const started = performance.now();
JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
process.stdout.write('parsed ' + (performance.now() - started) + '\\n');
`;

export interface ParseFloorRun {
  /** From spawning the process to its "parsed" line. */
  readonly spawnToParsedMs: number;
  /** Reading and JSON.parse alone, as the process timed them. */
  readonly parseMs: number;
}

/** Spawns `node -e` parsing `file` and times it, the way launchDaemon times the daemon. */
export async function parseFloor(file: string): Promise<ParseFloorRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', PARSE_FLOOR, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('\n')) resolve(output);
    });
    child.once('exit', (code) => reject(new Error(`the parse floor process exited (${code}): ${output}`)));
  });
  const spawnToParsedMs = performance.now() - started;
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  return { spawnToParsedMs, parseMs: Number(/parsed ([\d.]+)/.exec(line)?.[1]) };
}

/** Median parse-alone time of `file` over `runs` fresh processes. */
export async function parseAloneMs(file: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push((await parseFloor(file)).parseMs);
  return median(times);
}

/** Polls `url` until its body contains `text`; resolves with the ms it took from `since`. */
export async function visibleAfter(
  url: string,
  text: string,
  since: number,
  timeoutMs = 60_000,
): Promise<number> {
  let seenAt = 0;
  await waitFor(
    async () => {
      const body = await (await fetch(url)).text();
      seenAt = performance.now();
      return body.includes(text);
    },
    { timeoutMs, intervalMs: 5, message: `${url} to show ${text}` },
  );
  return seenAt - since;
}

/** The load clients of lib-load-client.ts, in a process of their own so they never share the daemon's or the bench's event loop. */
export class LoadClient {
  private constructor(private readonly child: ReturnType<typeof fork>) {}

  static async start(command: LoadCommand): Promise<LoadClient> {
    const child = fork(path.join(__dirname, 'lib-load-client.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const client = new LoadClient(child);
    await client.ask({ ...command });
    return client;
  }

  /** Latencies (ms) recorded since the last call, and requests that failed. */
  async take(): Promise<{ latencies: number[]; done: number; failed: number }> {
    return (await this.ask({ kind: 'take' })) as { latencies: number[]; done: number; failed: number };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }

  private ask(message: LoadCommand | { kind: 'take' }): Promise<unknown> {
    return new Promise((resolve) => {
      this.child.once('message', resolve);
      this.child.send(message);
    });
  }
}

/** What a load client process does: poll like `count` Envoys, or probe one URL. */
export type LoadCommand =
  | {
      readonly kind: 'pollers';
      readonly base: string;
      readonly paths: readonly string[];
      readonly count: number;
      /** Each poller asks again this long (± 50 %) after its answer. */
      readonly periodMs: number;
    }
  | { readonly kind: 'probe'; readonly url: string; readonly everyMs: number };
