import { precompiledValidators, type PrecompiledValidators } from '@sextant/core';

/** The services file schema's validators, compiled by the build (package.json), if built. */
export function precompiledServicesFileValidators(): PrecompiledValidators | undefined {
  return precompiledValidators(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('./services-file.validators.js'),
    'services-file.validators.js',
  );
}

/** The options schema's validators, compiled by the build (package.json), if built. */
export function precompiledOptionsValidators(): PrecompiledValidators | undefined {
  return precompiledValidators(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('./options.validators.js'),
    'options.validators.js',
  );
}
