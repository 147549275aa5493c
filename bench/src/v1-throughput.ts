import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import { servicesFile, startDaemon } from './lib-daemon';
import { median, printTable, times, type SummaryRow } from './table';

export const description =
  'v1 SDS and CDS req/s from the daemon vs a raw Node http server in its own process serving the same bytes (wrk)';

const NODE = 'sidecar~10.2.0.1~svc-1~ns-1.svc.cluster.local';

/**
 * A raw Node server, as Node makes it by default, answering every request with `file`'s bytes
 * under the headers it is given as JSON (those the daemon chose): the daemon's answer, but for
 * the headers each server's Node writes itself.
 */
const RAW_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const body = fs.readFileSync(process.argv[1]);
const headers = { ...JSON.parse(process.argv[2]), 'content-length': body.length };
http.createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.argv[3]), '127.0.0.1', () => process.send('ready'));
`;

/** Headers Node's HTTP server writes itself (content-length is the body's). */
const WRITTEN_BY_NODE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** The headers the daemon chose for an answer, for the raw server to send the same. */
function chosenHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => !WRITTEN_BY_NODE.has(name)));
}

/** wrk's requests per second against `url` (50 connections, 2 threads). */
function wrk(url: string, seconds: number): number {
  const output = execFileSync('wrk', ['-t2', '-c50', `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
  });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!match) throw new Error(`cannot read wrk's output:\n${output}`);
  return Number(match[1]);
}

async function rawServer(body: Buffer, headers: Record<string, string>, dir: string) {
  const file = path.join(dir, `body-${body.length}`);
  fs.writeFileSync(file, body);
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', RAW_SERVER, file, JSON.stringify(headers), String(port)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill())),
  };
}

interface Figures {
  readonly api: string;
  readonly bodyBytes: number;
  readonly baseline: number;
  readonly sextant: number;
  /** The median of each round's ratio: a round's two runs are seconds apart, and see the same machine. */
  readonly ratio: number;
}

const GOAL = 0.9;
/** Rounds of one run of each server (which runs first alternates); the figures are medians. */
const ROUNDS = 7;

async function measure(seconds: number, services: number): Promise<Figures[]> {
  const daemon = await startDaemon(servicesFile({ services, instances: 10 }));
  const figures: Figures[] = [];
  try {
    for (const [api, pathname] of [
      ['v1 SDS', '/v1/registration/svc-1.ns-1.svc.cluster.local|http'],
      ['v1 CDS', `/v1/clusters/istio-proxy/${NODE}`],
    ] as const) {
      const url = `${daemon.discovery}${pathname}`;
      const response = await fetch(url);
      const body = Buffer.from(await response.arrayBuffer());
      const raw = await rawServer(body, chosenHeaders(response), daemon.dir);
      // Warm both, then measure one at a time so neither takes the other's CPU, in alternating
      // short runs: the machine's speed drifts over seconds, and both see the same drift.
      wrk(raw.url, 1);
      wrk(url, 1);
      const baselines: number[] = [];
      const sextants: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        if (round % 2 === 0) baselines.push(wrk(raw.url, seconds));
        sextants.push(wrk(url, seconds));
        if (round % 2 === 1) baselines.push(wrk(raw.url, seconds));
      }
      await raw.stop();
      figures.push({
        api,
        bodyBytes: body.length,
        baseline: median(baselines),
        sextant: median(sextants),
        ratio: median(sextants.map((sextant, round) => sextant / (baselines[round] as number))),
      });
    }
  } finally {
    await daemon.stop();
  }
  await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null, {
    timeoutMs: 10_000,
  });
  return figures;
}

export async function run(args: readonly string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2);
  const services = Number(args[1] ?? 1000);
  const figures = await measure(seconds, services);
  printTable(
    figures.map(({ api, bodyBytes, baseline, sextant, ratio }) => ({
      api,
      'body bytes': bodyBytes,
      'raw Node req/s': Math.round(baseline),
      'sextant req/s': Math.round(sextant),
      ratio,
      goal: `≥ ${GOAL}`,
    })),
  );
}

export async function summary(): Promise<SummaryRow[]> {
  return (await measure(2, 1000)).map(({ api, baseline, sextant, ratio }) => ({
    measure: `1,000 × 10: ${api} req/s (wrk, 50 connections)`,
    figure: `${Math.round(sextant)} req/s`,
    baseline: `raw Node server ${Math.round(baseline)} req/s`,
    ratio: times(ratio),
    goal: `≥ ${GOAL}×`,
    met: ratio >= GOAL,
  }));
}
