import type { ChildProcess } from 'node:child_process';

/**
 * Ends a helper child process the way the test helpers ask theirs to stop: its stdin closes, it
 * shuts down and exits; killed if it has not within 2 s.
 */
export async function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
