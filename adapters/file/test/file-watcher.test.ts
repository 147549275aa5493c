import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { waitFor } from '@sextant/testkit';
import { watchFile, type FileObservation, type WatchDirectory } from '../src/file-watcher';
import { recordingLogger } from './support/recording-logger';
import { TempFiles } from './support/temp-files';

/** A directory watch the test drives: it fires only when told to, and records opens and closes. */
function manualWatch(opening?: () => void) {
  const watches: { dir: string; closed: boolean; fire: () => void; fail: (error: Error) => void }[] = [];
  const watchDirectory: WatchDirectory = (dir, onEvent, onError) => {
    opening?.();
    const watch = { dir, closed: false, fire: onEvent, fail: onError };
    watches.push(watch);
    return { close: () => (watch.closed = true) };
  };
  return { watchDirectory, watches, open: () => watches.filter((w) => !w.closed) };
}

const show = (o: FileObservation): string =>
  o.kind === 'content' ? o.bytes.toString() : `unreadable: ${o.reason}`;

const sizeLimit = { maxBytes: 1024, setting: 'option maxFileSize' };

describe('watchFile', () => {
  let files: TempFiles;
  beforeEach(() => (files = new TempFiles()));
  afterEach(() => files.cleanup());

  function start(watchDirectory: WatchDirectory, pollIntervalMs = 3_600_000) {
    const seen: string[] = [];
    const logger = recordingLogger();
    const controller = new AbortController();
    const done = watchFile(files.file, (o) => seen.push(show(o)), controller.signal, {
      pollIntervalMs,
      sizeLimit,
      logger,
      watchDirectory,
    });
    const checks = () => logger.entries.filter((e) => e.msg === 'file checked').length;
    return {
      seen,
      logger,
      checks,
      /** Fires the live watch and waits until the read it causes is done. */
      async fire(watch: { fire: () => void }) {
        const before = checks();
        watch.fire();
        await waitFor(() => checks() > before, { message: 'a check after the event' });
      },
      stop: async () => {
        controller.abort();
        await done;
      },
    };
  }

  it('reports the first read, then only reads that differ from the one before', async () => {
    writeFileSync(files.file, 'a');
    const dir = manualWatch();
    const w = start(dir.watchDirectory);
    await waitFor(() => w.seen.length === 1);
    const [watch] = dir.open();
    if (!watch) throw new Error('no directory watch');
    expect(watch.dir).toBe(files.dir);

    await w.fire(watch);
    writeFileSync(files.file, 'b');
    await w.fire(watch);
    await w.fire(watch);
    unlinkSync(files.file);
    await w.fire(watch);
    await w.fire(watch);
    writeFileSync(files.file, 'b');
    await w.fire(watch);
    expect(w.seen).toEqual(['a', 'b', 'unreadable: does not exist', 'b']);
    await w.stop();
  });

  it('re-reads on the poll when notifications are missed', async () => {
    writeFileSync(files.file, 'a');
    const w = start(manualWatch().watchDirectory, 50);
    await waitFor(() => w.seen.length === 1);
    files.replace('b');
    await waitFor(() => w.seen.includes('b'), { message: 'the poll to see the new content' });
    expect(w.seen).toEqual(['a', 'b']);
    await w.stop();
  });

  it('watches the new directory when the directory is replaced', async () => {
    writeFileSync(files.file, 'a');
    const dir = manualWatch();
    const w = start(dir.watchDirectory);
    await waitFor(() => w.seen.length === 1);
    const [first] = dir.open();
    if (!first) throw new Error('no directory watch');

    const next = `${files.dir}-next`;
    mkdirSync(next);
    writeFileSync(`${next}/services.yaml`, 'b');
    renameSync(files.dir, `${files.dir}-old`);
    renameSync(next, files.dir);
    await w.fire(first);

    expect(w.seen).toEqual(['a', 'b']);
    expect(first.closed).toBe(true);
    expect(dir.open()).toHaveLength(1);
    await w.stop();
  });

  it('keeps polling while the directory is gone and watches it again once it is back', async () => {
    writeFileSync(files.file, 'a');
    const dir = manualWatch();
    const w = start(dir.watchDirectory, 50);
    await waitFor(() => w.seen.length === 1);

    rmSync(files.dir, { recursive: true });
    await waitFor(() => w.seen.at(-1) === 'unreadable: does not exist' && dir.open().length === 0, {
      message: () => `the missing directory to be noticed (seen ${w.seen.join(', ')})`,
    });
    mkdirSync(files.dir);
    files.replace('c');
    await waitFor(() => w.seen.at(-1) === 'c' && dir.open().length === 1, {
      message: () => `the directory to be watched again (seen ${w.seen.join(', ')})`,
    });
    expect(dir.watches).toHaveLength(2);
    await w.stop();
  });

  it('falls back to polling, warning once, when the directory cannot be watched', async () => {
    writeFileSync(files.file, 'a');
    const failing: WatchDirectory = () => {
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      });
    };
    const w = start(failing, 20);
    await waitFor(() => w.checks() >= 3, { message: 'a few polls' });
    files.replace('b');
    await waitFor(() => w.seen.includes('b'));
    const warnings = w.logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.msg)).toEqual([
      `cannot watch ${files.dir}; re-reading ${files.file} every 20 ms instead`,
    ]);
    await w.stop();
  });

  it('drops a watch that reports an error and re-establishes it on the next poll', async () => {
    writeFileSync(files.file, 'a');
    const dir = manualWatch();
    const w = start(dir.watchDirectory, 50);
    await waitFor(() => dir.open().length === 1);
    const [first] = dir.open();
    first?.fail(new Error('watch broke'));
    expect(first?.closed).toBe(true);
    await waitFor(() => dir.open().length === 1, { message: 'a new watch' });
    expect(dir.watches).toHaveLength(2);
    await w.stop();
  });

  it('on abort: resolves, closes the watch, and reports nothing more', async () => {
    writeFileSync(files.file, 'a');
    const dir = manualWatch();
    const w = start(dir.watchDirectory);
    await waitFor(() => w.seen.length === 1);
    const [watch] = dir.open();
    await w.stop();
    expect(watch?.closed).toBe(true);
    expect(dir.open()).toHaveLength(0);
    writeFileSync(files.file, 'b');
    watch?.fire();
    expect(w.seen).toEqual(['a']);
  });

  it('does nothing when the signal has already aborted', async () => {
    let opened = 0;
    const seen: FileObservation[] = [];
    await watchFile(files.file, (o) => seen.push(o), AbortSignal.abort(), {
      pollIntervalMs: 10,
      sizeLimit,
      watchDirectory: manualWatch(() => (opened += 1)).watchDirectory,
    });
    expect(opened).toBe(0);
    expect(seen).toEqual([]);
  });
});
