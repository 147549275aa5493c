import { precompiledValidators } from '../schema/precompiled';
import type { PrecompiledValidators } from '../schema/validate';

/** The daemon config schema's validators, compiled by the build (package.json), if built. */
export function precompiledDaemonConfigValidators(): PrecompiledValidators | undefined {
  return precompiledValidators(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('./daemon-config.validators.js'),
    'daemon-config.validators.js',
  );
}
