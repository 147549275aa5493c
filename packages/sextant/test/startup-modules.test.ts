/* eslint-disable @typescript-eslint/no-require-imports -- modules are required inside jest.isolateModules, after the mocks that record them */
import type * as Core from '@sextant/core';
import type * as Logging from '../src/logging';

/**
 * What the CLI loads before it runs a command costs every start-up (the daemon's spawn → ready):
 * modules only some configurations use are required where they are used.
 */
const LAZY = ['re2js', 'js-yaml', 'pino-pretty'] as const;

function loadedBy(load: () => void): string[] {
  const loaded: string[] = [];
  jest.isolateModules(() => {
    for (const name of LAZY) {
      jest.doMock(name, () => {
        loaded.push(name);
        return jest.requireActual(name);
      });
    }
    load();
  });
  return loaded;
}

afterEach(() => {
  for (const name of LAZY) jest.dontMock(name);
});

describe('modules loaded at start-up', () => {
  it('loading the CLI and its commands loads none of re2js, js-yaml and pino-pretty', () => {
    expect(
      loadedBy(() => {
        require('../src/cli');
        require('../src/commands/run');
      }),
    ).toEqual([]);
  });

  it('each is loaded when it is needed, and works', () => {
    expect(
      loadedBy(() => {
        const core = require('@sextant/core') as typeof Core;
        expect(core.re2Problem('a(')).toMatch(/not a valid RE2 regex/);
        expect(core.re2Problem('a+')).toBeUndefined();
        const yaml = core.parsePlainly('a: [1, 2]');
        expect(yaml).toEqual({ ok: true, value: { a: [1, 2] } });
        expect(core.parsePlainly('a: [')).toMatchObject({ ok: false, failure: 'syntax' });
      }),
    ).toEqual(['re2js', 'js-yaml']);
    const lines: string[] = [];
    loadedBy(() => {
      const { createLogger } = require('../src/logging') as typeof Logging;
      const output = { write: (line: string) => (lines.push(line), undefined) };
      createLogger('info', output as never, true).info('hello');
    });
    expect(lines.join('')).toContain('hello');
    expect(lines.join('')).not.toContain('"msg"');
  });
});
