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
      `${config}:4:5: adapters[0].pth: adapter "file" (file): unknown field (expected one of: path, pollInterval)`,
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
});
