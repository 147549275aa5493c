import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { compileValidator, type PrecompiledValidators } from '@sextant/core';
import { adapter } from '../src/factory';
import { fileAdapterOptionsSchema } from '../src/options';
import { servicesFileSchema } from '../src/services-file-schema';

// The build writes the validators to dist (package.json); tests run after it.
const built = (file: string): PrecompiledValidators =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.resolve(__dirname, '..', 'dist', file)) as PrecompiledValidators;
const precompiled = () => built('services-file.validators.js');

/** What the built adapter exports from precompiled-validators.ts. */
const builtLoaders = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.resolve(__dirname, '..', 'dist', 'precompiled-validators.js')) as {
    precompiledServicesFileValidators: () => PrecompiledValidators | undefined;
    precompiledOptionsValidators: () => PrecompiledValidators | undefined;
  };

const FILES: Record<string, unknown> = {
  'a valid file': {
    services: [
      {
        hostname: 'a.ns.svc.cluster.local',
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        instances: [{ address: '10.0.0.1', port: 80, labels: { v: '1' } }],
      },
    ],
  },
  'bad addresses, ports and unknown fields': {
    services: [
      {
        hostname: '',
        ports: [{ name: 'http', port: 70000, protocol: 'gopher' }],
        instances: [{ address: '10.0.0.x', port: -1, lables: {} }],
      },
    ],
  },
  'no list': { services: 'none' },
};

describe('the services file validators compiled at build time', () => {
  const atRunTime = compileValidator(servicesFileSchema);
  const ahead = compileValidator(servicesFileSchema, precompiled());

  it.each(Object.entries(FILES))('judge %s exactly as the schema compiled at run time', (_, file) => {
    const [a, b] = [structuredClone(file), structuredClone(file)];
    expect(ahead(a)).toEqual(atRunTime(b));
    expect(a).toEqual(b);
  });

  it('are the ones the built adapter loads', () => {
    expect(builtLoaders().precompiledServicesFileValidators()?.every).toBe(precompiled().every);
  });

  it('refuse what the schema refuses (an address that is no IP)', () => {
    expect(ahead(FILES['bad addresses, ports and unknown fields']).valid).toBe(false);
    expect(ahead(FILES['a valid file']).valid).toBe(true);
  });
});

const OPTIONS: Record<string, unknown> = {
  'a path alone (defaults filled)': { path: 'services.yaml' },
  'every option': { path: 'services.json', pollInterval: '500ms', maxFileSize: 1048576 },
  'an empty path, a bad interval, an unknown option': { path: '', pollInterval: 'often', paht: 'x' },
  'no path': {},
};

describe('the file adapter options validators compiled at build time', () => {
  const atRunTime = compileValidator(fileAdapterOptionsSchema);
  const ahead = compileValidator(fileAdapterOptionsSchema, built('options.validators.js'));

  it.each(Object.entries(OPTIONS))('judge %s exactly as the schema compiled at run time', (_, options) => {
    const [a, b] = [structuredClone(options), structuredClone(options)];
    expect(ahead(a)).toEqual(atRunTime(b));
    // Defaults are filled alike.
    expect(a).toEqual(b);
  });

  it('refuse what the schema refuses', () => {
    expect(ahead(structuredClone(OPTIONS['no path'])).valid).toBe(false);
    expect(ahead(structuredClone(OPTIONS['every option'])).valid).toBe(true);
  });

  it('are what the built adapter factory carries (the sources, run by tests, carry none)', () => {
    expect(builtLoaders().precompiledOptionsValidators()?.every).toBe(built('options.validators.js').every);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(path.resolve(__dirname, '..', 'dist', 'factory.js')) as {
      adapter: typeof adapter;
    };
    expect(factory.adapter.optionsValidators?.every).toBe(built('options.validators.js').every);
    expect(adapter.optionsValidators).toBeUndefined();
  });
});
