import { elapsedMs } from './table';

/**
 * What the xds-streams benchmark's server processes (Sextant's xDS server, the raw HTTP/2 floor)
 * tell the bench over IPC, and how both time a round, so that their figures mean the same.
 */

export type ServerMessage =
  | { type: 'listening'; address: string; v1: string; rss: number }
  | { type: 'changed'; pushMs: number; ackedMs: number; cpuMs: number }
  | { type: 'status'; streams: number; edsUpToDate: number; rss: number; heap: number; external: number }
  | { type: 'heap-snapshot'; file: string };

export function sendToBench(message: ServerMessage): void {
  process.send?.(message);
}

/** How often a server process counts ACKed streams once the push is out (the resolution of "ACKed by all"). */
const ACK_COUNT_EVERY_MS = 5;

/**
 * Reports a round begun at `start` (hrtime, with the process's CPU usage then) once `pushed()`
 * holds and `acked()` has reached `streams`: the push's duration, the time until every ACK, and
 * the CPU the process used meanwhile.
 */
export function reportRound(
  start: bigint,
  cpu: NodeJS.CpuUsage,
  streams: number,
  pushed: () => boolean,
  acked: () => number,
): void {
  let pushMs: number | undefined;
  const check = () => {
    if (pushMs === undefined && pushed()) pushMs = elapsedMs(start);
    if (pushMs !== undefined && acked() >= streams) {
      const used = process.cpuUsage(cpu);
      sendToBench({
        type: 'changed',
        pushMs,
        ackedMs: elapsedMs(start),
        cpuMs: (used.user + used.system) / 1000,
      });
      return;
    }
    // Counting ACKs walks every stream: every few ms, not every ms, or the count itself takes
    // a share of the server's CPU during what is measured.
    setTimeout(check, pushMs === undefined ? 1 : ACK_COUNT_EVERY_MS);
  };
  check();
}

/** The process's memory, with how many streams it holds and how many have ACKed the latest EDS. */
export function statusMessage(streams: number, edsUpToDate: number): ServerMessage {
  const memory = process.memoryUsage();
  return {
    type: 'status',
    streams,
    edsUpToDate,
    rss: memory.rss,
    heap: memory.heapUsed,
    external: memory.external,
  };
}
