import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { compileValidator, type PrecompiledValidators } from '@sextant/core';
import { servicesFileSchema } from '../src/services-file-schema';

// The build writes the services file's validators to dist (package.json); tests run after it.
const precompiled = (): PrecompiledValidators =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.resolve(__dirname, '..', 'dist', 'services-file.validators.js')) as PrecompiledValidators;

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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dist = require(path.resolve(__dirname, '..', 'dist', 'precompiled-services-file.js')) as {
      precompiledServicesFileValidators: () => PrecompiledValidators | undefined;
    };
    expect(dist.precompiledServicesFileValidators()?.every).toBe(precompiled().every);
  });

  it('refuse what the schema refuses (an address that is no IP)', () => {
    expect(ahead(FILES['bad addresses, ports and unknown fields']).valid).toBe(false);
    expect(ahead(FILES['a valid file']).valid).toBe(true);
  });
});
