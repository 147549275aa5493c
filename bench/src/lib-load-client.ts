/**
 * A load client process (forked by LoadClient in lib-file-mesh.ts): either many keep-alive pollers,
 * each asking again a while after its answer as an Envoy polling v1 does, or one probe timing a
 * request every few ms. It takes its command and answers `take` over IPC.
 */
import http from 'node:http';
import type { LoadCommand } from './lib-file-mesh';

const latencies: number[] = [];
let done = 0;
let failed = 0;

function get(agent: http.Agent, url: string, then: (ok: boolean) => void): void {
  const request = http.get(url, { agent }, (response) => {
    response.resume();
    response.once('end', () => then(response.statusCode === 200));
  });
  request.once('error', () => then(false));
}

function poll(agent: http.Agent, url: string, periodMs: number): void {
  get(agent, url, (ok) => {
    if (ok) done += 1;
    else failed += 1;
    setTimeout(() => poll(agent, url, periodMs), periodMs * (0.5 + Math.random()));
  });
}

function probe(agent: http.Agent, url: string, everyMs: number): void {
  const started = performance.now();
  get(agent, url, (ok) => {
    const ms = performance.now() - started;
    if (ok) {
      done += 1;
      latencies.push(ms);
    } else {
      failed += 1;
    }
    setTimeout(() => probe(agent, url, everyMs), Math.max(0, everyMs - ms));
  });
}

function start(command: LoadCommand): void {
  if (command.kind === 'pollers') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: command.count });
    for (let k = 0; k < command.count; k += 1) {
      const url = `${command.base}${command.paths[k % command.paths.length]}`;
      setTimeout(() => poll(agent, url, command.periodMs), Math.random() * command.periodMs);
    }
  } else {
    probe(new http.Agent({ keepAlive: true, maxSockets: 1 }), command.url, command.everyMs);
  }
}

if (require.main === module && process.send) {
  process.on('message', (message: LoadCommand | { kind: 'take' }) => {
    if (message.kind === 'take') {
      process.send?.({ latencies: latencies.splice(0), done, failed });
      done = 0;
      failed = 0;
    } else {
      start(message);
      process.send?.('started');
    }
  });
  process.once('disconnect', () => process.exit(0));
}
