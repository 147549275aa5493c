import { ADAPTER_API_VERSION, type AdapterFactory } from './adapter';
import { AdapterLoadError, type Problem } from './errors';
import { compileValidator, type ValidationSource } from './schema/validate';

/**
 * Checks that a module export is an AdapterFactory this daemon can run, in the manner of
 * fastify's plugin version check: a named error, not a crash later. `adapter` names the
 * config entry (and package) in messages.
 */
export function checkAdapterFactory(candidate: unknown, adapter: string): AdapterFactory {
  const problems: Problem[] = [];
  const factory = unwrapDefault(candidate);
  if (typeof factory !== 'object' || factory === null) {
    throw new AdapterLoadError(adapter, [
      { path: '', message: 'the package does not export an adapter factory' },
    ]);
  }
  const f = factory as Partial<Record<keyof AdapterFactory, unknown>>;
  if (f.apiVersion !== ADAPTER_API_VERSION) {
    problems.push({
      path: 'apiVersion',
      message: `expected ${ADAPTER_API_VERSION} (the adapter contract this sextant speaks), got ${JSON.stringify(f.apiVersion)}`,
    });
  }
  if (typeof f.type !== 'string' || f.type === '')
    problems.push({ path: 'type', message: 'expected a non-empty string' });
  if (typeof f.optionsSchema !== 'object' || f.optionsSchema === null) {
    problems.push({ path: 'optionsSchema', message: 'expected a JSON Schema object' });
  }
  if (typeof f.create !== 'function') problems.push({ path: 'create', message: 'expected a function' });
  const validators = f.optionsValidators as Record<string, unknown> | undefined;
  if (
    validators !== undefined &&
    (typeof validators !== 'object' ||
      typeof validators?.every !== 'function' ||
      typeof validators.first !== 'function')
  ) {
    problems.push({
      path: 'optionsValidators',
      message: 'expected precompiled validators ({ every, first })',
    });
  }
  for (const optional of ['check', 'offlineState'] as const) {
    if (f[optional] !== undefined && typeof f[optional] !== 'function')
      problems.push({ path: optional, message: 'expected a function' });
  }
  if (problems.length > 0) throw new AdapterLoadError(adapter, problems);
  return factory as AdapterFactory;
}

const validators = new WeakMap<object, ReturnType<typeof compileValidator>>();

/**
 * Validates options against the factory's schema (applying its defaults). Problems name the
 * option path, located in the config file when `source` gives one.
 */
export function validateAdapterOptions(
  factory: Pick<AdapterFactory, 'optionsSchema' | 'optionsValidators'>,
  options: Record<string, unknown>,
  source?: ValidationSource,
): Problem[] {
  // The same schema compiled once; validators given precompiled are their own.
  const key = factory.optionsValidators ?? factory.optionsSchema;
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = compileValidator(factory.optionsSchema, factory.optionsValidators);
    } catch (error) {
      return [
        {
          path: '',
          message: `the adapter's optionsSchema is not a valid JSON Schema: ${(error as Error).message}`,
        },
      ];
    }
    validators.set(key, validate);
  }
  const result = validate(options, source);
  return result.valid ? [] : result.problems;
}

function unwrapDefault(candidate: unknown): unknown {
  if (typeof candidate === 'object' && candidate !== null && !('apiVersion' in candidate)) {
    const record = candidate as Record<string, unknown>;
    if ('default' in record) return record.default;
    if ('adapter' in record) return record.adapter;
  }
  return candidate;
}
