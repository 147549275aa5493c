import { access, constants } from 'node:fs/promises';
import { AdapterLoadError, type AdapterFactory, type Problem } from '@sextant/core';
import { NomadAdapter } from './nomad-adapter';
import { nomadAdapterOptionsSchema, type NomadAdapterOptions } from './options';
import { resolveSettings, type NomadSettings } from './settings';

/** `type: nomad`: services registered with Nomad's native service discovery. */
export const adapter: AdapterFactory<NomadAdapterOptions> = {
  apiVersion: 1,
  type: 'nomad',
  optionsSchema: nomadAdapterOptionsSchema,
  create(options, context) {
    const settings = resolveSettings(options, context);
    if (!settings.valid) throw new AdapterLoadError(context.name, settings.problems);
    return new NomadAdapter(settings.value, context.logger);
  },
  async check(options, context) {
    const settings = resolveSettings(options, context);
    return settings.valid ? unreadableFiles(settings.value) : settings.problems;
  },
};

/** The token and certificate files the settings name that cannot be read. */
async function unreadableFiles(settings: NomadSettings): Promise<Problem[]> {
  const files: [string, string | undefined][] = [
    ['tokenFile', settings.token.kind === 'file' ? settings.token.path : undefined],
    ['tls.ca', settings.tls?.ca],
    ['tls.cert', settings.tls?.cert],
    ['tls.key', settings.tls?.key],
  ];
  const problems: Problem[] = [];
  for (const [option, file] of files) {
    if (file === undefined) continue;
    await access(file, constants.R_OK).catch((error: NodeJS.ErrnoException) =>
      problems.push({ path: option, message: `cannot read ${file}: ${error.code ?? error.message}` }),
    );
  }
  return problems;
}
