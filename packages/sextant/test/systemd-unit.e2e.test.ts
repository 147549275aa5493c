import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli, sextantCommand, startDaemon, tempDir } from './daemon-process';

/**
 * examples/systemd/sextant.service, checked by systemd's own analyzer (which knows every directive
 * and scores the sandbox), and its command lines run as written, with the sextant under test in
 * place of /usr/local/bin/sextant and a config of the test's in place of /etc/sextant/sextant.yaml.
 */

const execFileAsync = promisify(execFile);
const UNIT = path.resolve(__dirname, '..', '..', '..', 'examples', 'systemd', 'sextant.service');
const INSTALLED_BINARY = '/usr/local/bin/sextant';
const INSTALLED_CONFIG = '/etc/sextant/sextant.yaml';

/** The unit's values of `key` in order (a key may repeat, as ExecReload= does). */
function directives(key: string): string[] {
  return fs
    .readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/** The unit with its commands pointing at the sextant under test, in a directory of its own. */
function unitUnderTest(): string {
  const [command, args] = sextantCommand([]);
  const sextant = [command, ...args].join(' ');
  const file = path.join(tempDir(), 'sextant.service');
  fs.writeFileSync(file, fs.readFileSync(UNIT, 'utf8').replaceAll(INSTALLED_BINARY, sextant));
  return file;
}

/** An Exec line's arguments after the binary, with the test's config in place of the installed one. */
function argumentsOf(line: string, config: string): string[] {
  const [binary, ...args] = line.split(' ');
  expect(binary).toBe(INSTALLED_BINARY);
  return args.map((arg) => (arg === INSTALLED_CONFIG ? config : arg));
}

// Each test starts processes one after another: slow on a loaded machine, so generous deadlines.
jest.setTimeout(90_000);

describe('the systemd unit (examples/systemd/sextant.service)', () => {
  it('is a unit systemd accepts: every directive known, every command executable', async () => {
    const { stdout, stderr } = await execFileAsync('systemd-analyze', ['verify', unitUnderTest()]);
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it("scores as a hardened service in systemd's own exposure analysis (at most 2.0 of 10)", async () => {
    const result = await execFileAsync('systemd-analyze', [
      'security',
      '--offline=true',
      '--threshold=20',
      '--no-pager',
      unitUnderTest(),
    ]).catch((error: { stdout?: string }) => {
      throw new Error(`exposure over 2.0:\n${error.stdout ?? String(error)}`);
    });
    expect(result.stdout).toMatch(/Overall exposure level for sextant\.service: [0-2]\.\d/);
  });

  it('runs as its own user in a read-only system, restarts on failure but not for a bad config, reloads with SIGHUP', () => {
    expect(directives('User')).toEqual(['sextant']);
    expect(directives('ProtectSystem')).toEqual(['strict']);
    expect(directives('Restart')).toEqual(['on-failure']);
    expect(directives('RestartPreventExitStatus')).toEqual(['2']);
    expect(directives('ExecReload').at(-1)).toBe('/bin/kill -HUP $MAINPID');
  });

  it('validates, starts and stops the daemon with the command lines it gives systemd', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
    const config = [
      'listen:',
      '  discovery: ${DISCOVERY}',
      '  admin: ${ADMIN}',
      '  xds: 127.0.0.1:0',
      'adapters: [{ type: file, path: services.yaml }]',
      '',
    ].join('\n');
    const configFile = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(configFile, config);
    const env = { ...process.env, DISCOVERY: '127.0.0.1:0', ADMIN: '127.0.0.1:0' };
    const validations = [...directives('ExecStartPre'), ...directives('ExecReload').slice(0, -1)];
    expect(validations).toHaveLength(2);
    for (const line of validations) {
      const { code, stderr } = await runCli(argumentsOf(line, configFile), env);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }

    expect(directives('ExecStart').map((line) => argumentsOf(line, configFile))).toEqual([
      ['--config', configFile],
    ]);
    const daemon = await startDaemon(dir, config); // sextant --config <dir>/sextant.yaml
    expect((await fetch(`${daemon.admin}/healthz`)).status).toBe(200);
    // systemd stops a service with SIGTERM (KillSignal= is left at its default).
    expect(directives('KillSignal')).toEqual([]);
    expect((await daemon.terminate()).code).toBe(0);
  });
});
