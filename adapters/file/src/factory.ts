import type { AdapterFactory } from '@sextant/core';
import { FileAdapter } from './file-adapter';
import { fileAdapterOptionsSchema, fileSizeLimit, pollIntervalMs, type FileAdapterOptions } from './options';
import { precompiledOptionsValidators } from './precompiled-validators';
import { readServicesFile } from './read-services-file';

/** `type: file`: services from a YAML or JSON file, reloaded when it changes. */
export const adapter: AdapterFactory<FileAdapterOptions> = {
  apiVersion: 1,
  type: 'file',
  optionsSchema: fileAdapterOptionsSchema,
  optionsValidators: precompiledOptionsValidators(),
  create(options, context) {
    return new FileAdapter({
      file: context.resolvePath(options.path),
      pollIntervalMs: pollIntervalMs(options),
      sizeLimit: fileSizeLimit(options),
      logger: context.logger,
    });
  },
  async check(options, context) {
    const result = await readServicesFile(context.resolvePath(options.path), fileSizeLimit(options));
    return result.valid ? [] : result.problems;
  },
  async offlineState(options, context) {
    const result = await readServicesFile(context.resolvePath(options.path), fileSizeLimit(options));
    return result.valid ? result.value : undefined;
  },
};
