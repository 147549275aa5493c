import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509, loaded on first use: it costs ~120 ms and ~200 modules at start-up, which a
 * daemon without a CA or an agent never needs. It registers its algorithms with tsyringe, which
 * needs the Reflect metadata API loaded first; every use of the library goes through here.
 */
export function x509(): typeof X509 {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily, see above */
  require('reflect-metadata');
  return require('@peculiar/x509') as typeof X509;
  /* eslint-enable @typescript-eslint/no-require-imports */
}

export type { X509 };
