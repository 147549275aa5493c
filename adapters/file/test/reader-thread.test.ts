import { waitFor } from '@sextant/testkit';
import { ReaderThread, ReaderThreadError, type ThreadReading } from '../src/reader-thread';
import { ServicesFileReader, type FileReading } from '../src/services-file-reader';

/** A services file of `count` services with two instances each, the service `edited` on another address. */
function json(count: number, edited = -1): Buffer {
  const services = Array.from(
    { length: count },
    (_, i) =>
      `{"hostname":"s${i}.test","ports":[{"name":"http","port":80}],"instances":[` +
      `{"address":"10.${i >> 8}.${i & 255}.${i === edited ? 9 : 1}","labels":{"version":"v1"}},` +
      `{"address":"10.${i >> 8}.${i & 255}.2","labels":{"version":"v2"}}]}`,
  );
  return Buffer.from(`{"services":[\n${services.join(',\n')}\n]}\n`);
}

/** The same as YAML in block style: only a full parse reads it, and the YAML parser is slow. */
function yaml(count: number): Buffer {
  const lines = ['services:'];
  for (let i = 0; i < count; i += 1) {
    lines.push(
      `  - hostname: s${i}.test`,
      '    ports:',
      '      - name: http',
      '        port: 80',
      '    instances:',
      `      - address: 10.${i >> 8}.${i & 255}.1`,
      '        labels:',
      '          version: v1',
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

const changedHosts = (reading: FileReading) =>
  reading.valid ? reading.changed.map((s) => s.service.hostname) : reading.problems;

describe('ReaderThread', () => {
  const threads: ReaderThread[] = [];
  const thread = (options = {}) => {
    const created = ReaderThread.create(options);
    if (!created)
      throw new Error(
        'the worker script is missing: build the package first (npx tsc -p tsconfig.build.json)',
      );
    threads.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.close()));
  });

  /** Reads versions one after the other as the reporter does, each next to the last valid one. */
  const reading = () => {
    let base: string | undefined;
    return async (
      reader: ReaderThread,
      bytes: Buffer,
      file = 'services.json',
    ): Promise<ThreadReading['reading']> => {
      const read = await reader.read(bytes, file, base);
      if (read.reading.valid) base = read.base;
      return read.reading;
    };
  };

  it('reads in a worker: the first version completely, then what changed since the base it is given', async () => {
    const reader = thread();
    const next = reading();
    const first = await next(reader, json(3));
    expect(first.valid && first.complete).toBe(true);
    expect(changedHosts(first)).toEqual(['s0.test', 's1.test', 's2.test']);
    const second = await next(reader, json(3, 1));
    expect(second.valid && second.complete).toBe(false);
    expect(changedHosts(second)).toEqual(['s1.test']);
  });

  it('goes on from the base of a reader on the main thread', async () => {
    const here = new ServicesFileReader();
    here.read(json(3), 'services.json');
    const { reading: read, base } = await thread().read(json(3, 2), 'services.json', here.base());
    expect(read.valid && read.complete).toBe(false);
    expect(changedHosts(read)).toEqual(['s2.test']);
    here.adopt(base);
    expect(changedHosts(here.read(json(3, 2), 'services.json'))).toEqual([]);
  });

  it('keeps the event loop turning while it parses a large file', async () => {
    const reader = thread();
    const bytes = yaml(6000);
    // Start the worker first, so that what is measured is the parse.
    await reader.read(yaml(10), 'services.yaml', undefined);
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const { reading: read } = await reader.read(bytes, 'services.yaml', undefined);
    const took = performance.now() - started;
    clearInterval(ticker);
    // Up to now, too: a tick due during the read may not have run yet.
    longestGap = Math.max(longestGap, performance.now() - last);
    expect(read.valid).toBe(true);
    // The parse takes a while (a second or more here); the main thread never waits that long
    // between two ticks. Read on the main thread, the longest gap would be the whole parse.
    expect(took).toBeGreaterThan(200);
    expect(longestGap).toBeLessThan(took / 4);
  });

  it('stops an idle worker, and starts one again for the next read', async () => {
    const reader = thread({ idleMs: 20 });
    const next = reading();
    expect(reader.running).toBe(false);
    await next(reader, json(3));
    expect(reader.running).toBe(true);
    await waitFor(() => !reader.running, { message: 'the idle worker to stop' });
    const read = await next(reader, json(3, 0));
    expect(reader.workersStarted).toBe(2);
    expect(read.valid && read.complete).toBe(false);
    expect(changedHosts(read)).toEqual(['s0.test']);
  });

  it('fails the read a worker dies in (out of memory), and reads the next in a new one', async () => {
    const reader = thread({ resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } });
    const next = reading();
    await next(reader, json(3));
    await expect(next(reader, yaml(100_000), 'services.yaml')).rejects.toBeInstanceOf(ReaderThreadError);
    const read = await next(reader, json(3, 1));
    expect(reader.workersStarted).toBe(2);
    expect(changedHosts(read)).toEqual(['s1.test']);
  });

  it('fails reads not answered when closed', async () => {
    const reader = thread();
    const pending = expect(reader.read(yaml(3000), 'services.yaml', undefined)).rejects.toBeInstanceOf(
      ReaderThreadError,
    );
    await reader.close();
    await pending;
    await expect(reader.read(json(1), 'services.json', undefined)).rejects.toBeInstanceOf(ReaderThreadError);
  });
});
