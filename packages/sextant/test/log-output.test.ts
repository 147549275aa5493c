import fs from 'node:fs';
import { LogOutput } from '../src/log-output';
import { createLogger } from '../src/logging';

/** An error as fs.writeSync throws it. */
function writeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, write`), { code, syscall: 'write' });
}

/** A descriptor that fails while `failing` says so, and takes at most `chunk` bytes a write. */
class Disk {
  readonly written: string[] = [];
  failing: string | undefined;
  chunk = Infinity;
  calls = 0;

  readonly writeSync = (_fd: number, buffer: Buffer, offset: number): number => {
    this.calls += 1;
    if (this.failing === 'ENOSPC') throw writeError('ENOSPC', 'no space left on device');
    if (this.failing === 'EAGAIN') throw writeError('EAGAIN', 'resource temporarily unavailable');
    const end = Math.min(buffer.length, offset + this.chunk);
    this.written.push(buffer.subarray(offset, end).toString());
    return end - offset;
  };

  text(): string {
    return this.written.join('');
  }
}

describe('LogOutput', () => {
  it('drops lines it cannot write without throwing, and reports them once with the next line written', () => {
    const disk = new Disk();
    const output = new LogOutput(1, { writeSync: disk.writeSync });
    disk.failing = 'ENOSPC';
    expect(output.write('one\n')).toBeUndefined();
    expect(output.write('two\n')).toBeUndefined();
    disk.failing = undefined;
    expect(output.write('three\n')).toEqual({ count: 2, reason: 'ENOSPC: no space left on device, write' });
    expect(output.write('four\n')).toBeUndefined();
    expect(disk.text()).toBe('three\nfour\n');
  });

  it('writes a line the descriptor takes in parts, waiting a little for a reader that is behind', () => {
    const disk = new Disk();
    disk.chunk = 3;
    let calls = 0;
    const flaky = (fd: number, buffer: Buffer, offset: number) => {
      calls += 1;
      if (calls === 2) throw writeError('EAGAIN', 'resource temporarily unavailable');
      return disk.writeSync(fd, buffer, offset);
    };
    const patient = new LogOutput(1, { writeSync: flaky });
    expect(patient.write('a whole line\n')).toBeUndefined();
    expect(disk.text()).toBe('a whole line\n');
  });

  it('gives up on a reader that stays behind after a bounded wait, and does not wait again until it reads', () => {
    const disk = new Disk();
    const output = new LogOutput(1, { writeSync: disk.writeSync, patienceMs: 50 });
    disk.failing = 'EAGAIN';
    const started = Date.now();
    expect(output.write('one\n')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    const callsAfterFirst = disk.calls;
    expect(callsAfterFirst).toBeGreaterThan(1);
    output.write('two\n');
    expect(disk.calls).toBe(callsAfterFirst + 1);
    disk.failing = undefined;
    expect(output.write('three\n')).toEqual({
      count: 2,
      reason: 'EAGAIN: resource temporarily unavailable, write',
    });
  });

  it('survives a real full device', () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const output = new LogOutput(fd);
      expect(() => output.write('x\n')).not.toThrow();
      expect(output.write('y\n')).toBeUndefined();
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('the daemon logger', () => {
  it('never throws on a failed write, and says how many lines were lost once writing works again', () => {
    const disk = new Disk();
    const logger = createLogger('info', new LogOutput(1, { writeSync: disk.writeSync }));
    disk.failing = 'ENOSPC';
    expect(() => {
      logger.info('lost 1');
      logger.warn('lost 2');
      logger.error(new Error('lost 3'));
    }).not.toThrow();
    disk.failing = undefined;
    logger.info('back');
    logger.info('again');
    const lines = disk
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; lostLines?: number; level: number });
    expect(lines.map((l) => l.msg)).toEqual([
      'back',
      '3 log line(s) could not be written (ENOSPC: no space left on device, write); writing works again',
      'again',
    ]);
    expect(lines[1]).toMatchObject({ lostLines: 3, level: 40 });
  });

  it('writes human-readable lines when asked to (a terminal)', () => {
    const disk = new Disk();
    const logger = createLogger('info', new LogOutput(1, { writeSync: disk.writeSync }), true);
    logger.info('hello');
    expect(disk.text()).toMatch(/INFO.*hello.*\n$/);
  });
});
