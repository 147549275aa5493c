import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  compileValidator,
  daemonConfigSchema,
  precompiledDaemonConfigValidators,
  precompiledValidators,
  type PrecompiledValidators,
} from '../src';

// The build writes the daemon config's validators to dist (package.json); tests run after it.
const built = (): PrecompiledValidators =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(
    path.resolve(__dirname, '..', 'dist', 'config', 'daemon-config.validators.js'),
  ) as PrecompiledValidators;

const CONFIGS: Record<string, unknown> = {
  'a valid config': { listen: { discovery: '127.0.0.1:9000' }, adapters: [{ type: 'file', path: 's.yaml' }] },
  'unknown fields and a bad format': {
    listen: { discovery: 'not-an-address', admni: '1' },
    debounce: { after: '5 parsecs' },
    adapters: [{ type: 'file' }],
  },
  'wrong types everywhere': { listen: 3, adapters: 'file', log: { level: 'loud' } },
  'an empty document': {},
  'a byte size and a URL': {
    adapters: [{ type: 'file', path: 'x' }],
    limits: { maxBodyBytes: 'lots' },
    ca: { trustDomain: 3 },
  },
};

describe('validators compiled at build time', () => {
  const precompiled = built();
  const atRunTime = compileValidator(daemonConfigSchema);
  const ahead = compileValidator(daemonConfigSchema, precompiled);

  it.each(Object.entries(CONFIGS))('judge %s exactly as the schema compiled at run time', (_, config) => {
    const [a, b] = [structuredClone(config), structuredClone(config)];
    // Same verdict, same problems in the same words, same defaults filled in.
    expect(ahead(a)).toEqual(atRunTime(b));
    expect(a).toEqual(b);
  });

  it('check formats with the same functions (a bad host:port is refused, a good one accepted)', () => {
    expect(
      precompiled.first({ listen: { discovery: '127.0.0.1:99999' }, adapters: [{ type: 'file' }] }),
    ).toBe(false);
    expect(precompiled.first({ listen: { discovery: '[::1]:9' }, adapters: [{ type: 'file' }] })).toBe(true);
  });

  it('are the ones the daemon loads, once built (from the sources they are compiled instead)', () => {
    // From src (this test), the generated file is not beside the loader: undefined, not an error.
    expect(precompiledDaemonConfigValidators()).toBeUndefined();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dist = require(path.resolve(__dirname, '..', 'dist')) as {
      precompiledDaemonConfigValidators: () => PrecompiledValidators | undefined;
    };
    expect(dist.precompiledDaemonConfigValidators()?.every).toBe(precompiled.every);
  });

  it('a generated file that fails to load is an error, not a silent fallback to compiling', () => {
    const broken = () => {
      throw Object.assign(new Error("Cannot find module 'ajv/dist/runtime/missing'"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(() => precompiledValidators(broken, 'x.validators.js')).toThrow('ajv/dist/runtime/missing');
    const absent = () => {
      throw Object.assign(new Error("Cannot find module './x.validators.js'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(precompiledValidators(absent, 'x.validators.js')).toBeUndefined();
  });
});
