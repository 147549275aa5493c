import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import { spawn } from 'node:child_process';
import { runCli, sextantCommand, tempDir } from './daemon-process';

describe('the sextant CLI', () => {
  it('refuses a bad config at start-up with exit 2 and every problem located, without a stack trace', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(
      config,
      [
        'listen:',
        '  discovery: ${NOT_SET_ANYWHERE}',
        'debounce: { after: soon }',
        'adapters:',
        '  - type: file',
        '    pth: x.yaml',
        '  - type: eureka',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `${config}:2:14: listen.discovery: environment variable NOT_SET_ANYWHERE is not set`,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports schema problems with file, line, column and what was expected', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(
      config,
      [
        'debounce: { after: soon }',
        'adapters:',
        '  - type: file',
        '    pth: x.yaml',
        '  - type: eureka',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['validate', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${config}:1:20: debounce.after: not a duration (write it like 100ms, 1s, 5m or 1m30s) ("soon")`,
    );
    expect(stderr).toContain(
      `${config}:4:5: adapters[0].pth: adapter "file" (file): unknown field (did you mean "path"?)`,
    );
    expect(stderr).toContain(
      `${config}:3:5: adapters[0].path: adapter "file" (file): missing required field`,
    );
    expect(stderr).toContain(
      `${config}:5:11: adapters[1].type: adapter "eureka": cannot find adapter package "eureka"`,
    );
  });

  it('validates the files a config points at, and passes a good config', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(config, 'adapters:\n  - type: file\n    path: services.yaml\n');
    fs.writeFileSync(
      path.join(dir, 'services.yaml'),
      'services:\n  - hostname: a.example\n    ports: [{ name: http, port: 80 }]\n    instances: [{ address: 10.0.0.x }]\n',
    );
    const bad = await runCli(['validate', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /services\.yaml:4:\d+: services\[0\]\.instances\[0\]\.address: adapter "file" \(file\): not an IP address/,
    );

    fs.writeFileSync(
      path.join(dir, 'services.yaml'),
      'services:\n  - hostname: a.example\n    ports: [{ name: http, port: 80 }]\n    instances: [{ address: 10.0.0.1 }]\n',
    );
    const good = await runCli(['validate', '--config', config]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('ok, 1 adapter(s): file (file)');
  });

  it('rejects unknown flags and commands with usage and exit 2', async () => {
    expect((await runCli(['--frobnicate'])).code).toBe(2);
    const unknown = await runCli(['serve']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage:');
  });

  it('runs the built-in quickstart without --config and prints URLs to try', async () => {
    const [discovery, admin] = [await freePort(), await freePort()];
    const child = spawn(...sextantCommand([]), {
      env: {
        ...process.env,
        SEXTANT_DISCOVERY: `127.0.0.1:${discovery}`,
        SEXTANT_ADMIN: `127.0.0.1:${admin}`,
        SEXTANT_XDS: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(() => output.includes('Ctrl-C stops'), {
        timeoutMs: 15_000,
        message: () => `no banner:\n${output}`,
      });
      expect(output).toContain(`curl http://127.0.0.1:${discovery}/v1/registration`);
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => undefined))?.ok === true,
        {
          timeoutMs: 5000,
          message: 'quickstart never ready',
        },
      );
      const body = (await (await fetch(`http://127.0.0.1:${discovery}/v1/registration`)).json()) as {
        'service-key': string;
      }[];
      expect(body.map((e) => e['service-key'])).toContain('reviews.default.svc.cluster.local|http');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });

  describe('a config file that cannot be used exits 2 with a message, never a stack trace or a hang', () => {
    /** Runs the daemon on `config` and expects it refused with exactly `message`. */
    async function refused(config: string, message: string) {
      const { code, stderr, timedOut } = await runCli(['--config', config], process.env, {
        timeoutMs: 15_000,
      });
      expect({ code, timedOut }).toEqual({ code: 2, timedOut: false });
      expect(stderr).toBe(`sextant: ${config} cannot be used:\n  ${message}\n`);
    }

    it('a 0.5 KB YAML alias bomb', async () => {
      const config = path.join(tempDir(), 'sextant.yaml');
      const bomb = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i <= 9; i += 1)
        bomb.push(
          `l${i}: &l${i} [${Array(9)
            .fill(`*l${i - 1}`)
            .join(',')}]`,
        );
      const text = [...bomb, 'adapters: *l9', ''].join('\n');
      fs.writeFileSync(config, text);
      await refused(
        config,
        `${config}: aliases expand the document to more than ${2 * text.length + 1000} values, ` +
          `the limit for ${text.length} characters: write the repeated parts out instead`,
      );
    });

    it('a FIFO, a symlink to /dev/zero, and a file over 1 MiB', async () => {
      const dir = tempDir();
      const fifo = path.join(dir, 'fifo.yaml');
      execFileSync('mkfifo', [fifo]);
      await refused(fifo, `${fifo}: the file is a FIFO, not a regular file`);

      const zero = path.join(dir, 'zero.yaml');
      fs.symlinkSync('/dev/zero', zero);
      await refused(zero, `${zero}: the file is a character device, not a regular file`);

      const big = path.join(dir, 'big.yaml');
      fs.writeFileSync(big, '');
      fs.truncateSync(big, 100 * 1024 * 1024);
      await refused(
        big,
        `${big}: the file is 104857600 bytes; the limit is 1048576 (fixed for config files)`,
      );
    });

    it('a config nested 100,000 levels deep', async () => {
      const config = path.join(tempDir(), 'sextant.yaml');
      fs.writeFileSync(config, `adapters: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
      await refused(config, `${config}:1:${11 + 63}: the document is nested more than 64 levels deep`);
    });

    it('sextant validate reports a FIFO as the services file instead of waiting on it', async () => {
      const dir = tempDir();
      const config = path.join(dir, 'sextant.yaml');
      fs.writeFileSync(config, 'adapters:\n  - type: file\n    path: services.yaml\n');
      execFileSync('mkfifo', [path.join(dir, 'services.yaml')]);
      const { code, stderr, timedOut } = await runCli(['validate', '--config', config], process.env, {
        timeoutMs: 15_000,
      });
      expect({ code, timedOut }).toEqual({ code: 1, timedOut: false });
      expect(stderr).toBe(
        `${path.join(dir, 'services.yaml')}: adapter "file" (file): the file is a FIFO, not a regular file\n1 problem(s) found\n`,
      );
    });
  });
});
