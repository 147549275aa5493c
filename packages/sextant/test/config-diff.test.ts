import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@sextant/core';
import { diffConfig, isEmptyDiff } from '../src/config/config-diff';
import { loadConfig, type LoadedConfig } from '../src/config/load-config';

const BASE = `
listen: { discovery: 127.0.0.1:15000, admin: 127.0.0.1:15001, xds: 127.0.0.1:15010 }
debounce: { after: 100ms, max: 1s }
log: { level: info }
rules: [rules/*.yaml]
adapters:
  - { name: a, type: file, path: a.yaml }
  - { name: b, type: file, path: b.yaml, pollInterval: 5s }
`;

describe('the difference a reload applies', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-diff-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  let count = 0;
  async function load(yaml: string): Promise<LoadedConfig> {
    const file = path.join(dir, `sextant-${(count += 1)}.yaml`);
    fs.writeFileSync(file, yaml);
    return loadConfig(file, { env: { TOKEN: 'tok' }, logger: silentLogger });
  }

  it('finds nothing in the same settings written otherwise: key order, flow or block style, defaults spelled out', async () => {
    const running = await load(BASE);
    const next = await load(`
adapters:
  - name: a
    path: a.yaml
    type: file
    pollInterval: 2s
  - { pollInterval: 5s, path: b.yaml, type: file, name: b }
rules: [rules/*.yaml]
log: { level: info }
debounce: { max: 1s, after: 100ms }
listen: { xds: 127.0.0.1:15010, admin: 127.0.0.1:15001, discovery: 127.0.0.1:15000 }
`);
    const diff = diffConfig(running, next);
    expect(diff).toEqual({
      adapters: { added: [], removed: [], changed: [], reordered: false },
      rules: false,
      debounce: false,
      logLevel: false,
      listeners: [],
      restartRequired: [],
    });
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('tells adapters added, removed and re-optioned (an option or the type) from those kept', async () => {
    const running = await load(BASE);
    const next = await load(
      BASE.replace('pollInterval: 5s', 'pollInterval: 3s').replace(
        '  - { name: a, type: file, path: a.yaml }',
        '  - { name: c, type: file, path: c.yaml }',
      ),
    );
    const diff = diffConfig(running, next);
    expect(diff.adapters).toEqual({ added: ['c'], removed: ['a'], changed: ['b'], reordered: false });
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('sees a new order of the same adapters (the first listed wins service attributes)', async () => {
    const running = await load(BASE);
    const next = await load(`
adapters:
  - { name: b, type: file, path: b.yaml, pollInterval: 5s }
  - { name: a, type: file, path: a.yaml }
`);
    expect(diffConfig(running, next).adapters).toEqual({
      added: [],
      removed: [],
      changed: [],
      reordered: true,
    });
  });

  it('sees rules, debounce, log level and each listener that moved', async () => {
    const running = await load(BASE);
    const next = await load(
      BASE.replace('rules/*.yaml', 'more-rules/')
        .replace('after: 100ms', 'after: 200ms')
        .replace('level: info', 'level: debug')
        .replace('127.0.0.1:15001', '127.0.0.1:16001'),
    );
    const diff = diffConfig(running, next);
    expect(diff).toMatchObject({ rules: true, debounce: true, logLevel: true, listeners: ['admin'] });
    expect(diff.adapters).toEqual({ added: [], removed: [], changed: [], reordered: false });
  });

  it('names settings that only a restart applies', async () => {
    const running = await load(BASE);
    const next = await load(
      `${BASE}limits: { renderCache: 8MiB }\nadmin: { allowedHosts: [sextant.internal] }\n`,
    );
    expect(diffConfig(running, next).restartRequired).toEqual(['limits', 'admin']);
  });

  it('compares options after interpolation: a variable with the same value is no change', async () => {
    const running = await load(BASE.replace('path: a.yaml', 'path: "${TOKEN}.yaml"'));
    const next = await load(BASE.replace('path: a.yaml', 'path: tok.yaml'));
    expect(diffConfig(running, next).adapters.changed).toEqual([]);
  });
});
