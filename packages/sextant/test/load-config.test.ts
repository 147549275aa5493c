import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, formatProblem, silentLogger } from '@sextant/core';
import { loadConfig } from '../src/config/load-config';

async function problemsOf(yaml: string): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-load-'));
  try {
    const file = path.join(dir, 'sextant.yaml');
    fs.writeFileSync(file, yaml);
    await loadConfig(file, { env: {}, logger: silentLogger });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => formatProblem({ ...p, file: 'sextant.yaml' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('loading sextant.yaml', () => {
  it('refuses "rules" as an adapter name, located, instead of failing when the registry is built', async () => {
    expect(await problemsOf('adapters:\n  - { name: rules, type: file, path: s.yaml }\n')).toEqual([
      expect.stringMatching(/^sextant\.yaml:2:\d+: adapters\[0\]\.name: "rules" cannot name an adapter/),
    ]);
  });

  it('refuses a Rules API store naming no configured adapter, or two stores at once', async () => {
    expect(
      await problemsOf(
        'rulesApi: { adapter: consul }\nadapters:\n  - { name: files, type: file, path: s.yaml }\n',
      ),
    ).toEqual([expect.stringMatching(/rulesApi\.adapter: no adapter is named "consul" \(adapters: files\)/)]);
    expect(
      await problemsOf(
        'rulesApi: { adapter: files, directory: rules.d }\nadapters:\n  - { name: files, type: file, path: s.yaml }\n',
      ),
    ).toEqual([expect.stringMatching(/rulesApi: set either directory or adapter/)]);
    expect(
      await problemsOf(
        'rulesApi: { adapter: files }\nadapters:\n  - { name: files, type: file, path: s.yaml }\n',
      ),
    ).toEqual([]);
  });
});
