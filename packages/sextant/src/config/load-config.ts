import path from 'node:path';
import {
  AdapterLoadError,
  compileValidator,
  ConfigError,
  daemonConfigSchema,
  precompiledDaemonConfigValidators,
  FileReadError,
  durationMs,
  readRegularFile,
  SourceDocument,
  validateAdapterOptions,
  type AdapterConfig,
  type AdapterContext,
  type AdapterFactory,
  type DaemonConfig,
  type Logger,
  type Problem,
} from '@sextant/core';
import { interpolateEnv } from './interpolate';
import { listenerProblems } from './listener-checks';
import { securityProblems } from './security-checks';
import { givenTrustDomains, unifyTrustDomain } from './trust-domain';
import { loadAdapterFactory } from './load-adapter';
import { patternProblem } from '../rules/rule-file-patterns';

/** The shortest `dns.refresh`. */
const MIN_DNS_REFRESH_MS = 1000;

/** One configured adapter, ready to be created. */
export interface ConfiguredAdapter {
  readonly name: string;
  readonly type: string;
  readonly factory: AdapterFactory;
  /** The entry's options (everything but name and type), validated, with the schema's defaults. */
  readonly options: Record<string, unknown>;
}

export interface LoadedConfig {
  readonly file: string;
  /** Directory of the config file: relative paths in it are relative to this. */
  readonly baseDir: string;
  readonly config: DaemonConfig;
  readonly adapters: readonly ConfiguredAdapter[];
}

export interface LoadOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Also run each adapter's `check` on what its options point at (`sextant validate`). */
  readonly checkAdapters?: boolean;
  readonly logger: Logger;
}

const validateDaemonConfig = compileValidator<DaemonConfig>(
  daemonConfigSchema,
  precompiledDaemonConfigValidators(),
);

/**
 * 1 MiB: a config names adapters and their options, a few KB at most. Fixed, so that no setting
 * is needed before the file that holds the settings can be read.
 */
export const CONFIG_SIZE_LIMIT = { maxBytes: 1024 * 1024, setting: 'fixed for config files' } as const;

/**
 * Reads, interpolates and validates a config file and every adapter it names. All problems are
 * collected (file:line:column, field path, what was expected) and thrown together as one
 * ConfigError, so a user fixes them in one pass. Whatever is wrong with the input, a ConfigError
 * is all it throws: a file that is no regular file, over CONFIG_SIZE_LIMIT, or past the
 * DOCUMENT_LIMITS (an alias bomb, say) included.
 */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  const baseDir = path.dirname(absolute);
  let text: string;
  try {
    text = (await readRegularFile(absolute, CONFIG_SIZE_LIMIT)).toString('utf8');
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new ConfigError([{ file, path: '', message: `the file ${error.reason}` }], 'invalid configuration');
  }
  const document = SourceDocument.parse(text, file);
  const problems: Problem[] = [];
  const raw = interpolateEnv(document.value ?? {}, options.env, document, problems);
  const given = givenTrustDomains(raw);
  const result = validateDaemonConfig(raw, { document });
  let config: DaemonConfig | undefined;
  if (!result.valid) problems.push(...result.problems);
  else {
    const unified = unifyTrustDomain(result.value, given, document);
    config = unified.config;
    problems.push(...unified.problems);
    problems.push(...listenerProblems(result.value, document));
    const { after, max } = result.value.debounce;
    if (durationMs(after) > durationMs(max)) {
      problems.push(
        document.problem(
          ['debounce', 'after'],
          `must not be longer than debounce.max (${max}): max bounds how long a change waits, after included`,
        ),
      );
    }
    // Every refresh looks every name up again: more often than this is load on the name servers.
    if (durationMs(result.value.dns.refresh) < MIN_DNS_REFRESH_MS) {
      problems.push(document.problem(['dns', 'refresh'], 'must be at least 1s'));
    }
    problems.push(...securityProblems(result.value, document));
    for (const [index, pattern] of result.value.rules.entries()) {
      const problem = patternProblem(pattern);
      if (problem !== undefined) problems.push(document.problem(['rules', index], problem));
    }
  }
  // Go on to the adapters even when other keys are wrong, so every problem is reported at once.
  const entries = wellFormedAdapters(raw);

  const names = adapterNames(entries, document, problems);
  const adapters: ConfiguredAdapter[] = [];
  for (const [index, entry] of entries.entries()) {
    if (entry === undefined) continue;
    const { name: _name, type, ...adapterOptions } = entry;
    const name = names[index] ?? type;
    let factory: AdapterFactory;
    try {
      factory = loadAdapterFactory(type, baseDir);
    } catch (error) {
      if (!(error instanceof AdapterLoadError)) throw error;
      for (const p of error.problems) {
        problems.push(
          document.problem(
            ['adapters', index, 'type'],
            `adapter "${name}": ${p.path ? `${p.path}: ` : ''}${p.message}`,
          ),
        );
      }
      continue;
    }
    const optionProblems = validateAdapterOptions(factory, adapterOptions, {
      document,
      at: ['adapters', index],
    });
    problems.push(
      ...optionProblems.map((p) => ({ ...p, message: `adapter "${name}" (${type}): ${p.message}` })),
    );
    if (optionProblems.length === 0 && options.checkAdapters && factory.check) {
      const context = adapterContext(name, baseDir, options.env, options.logger);
      const found = await factory.check(adapterOptions, context);
      problems.push(...found.map((p) => ({ ...p, message: `adapter "${name}" (${type}): ${p.message}` })));
    }
    adapters.push({ name, type, factory, options: adapterOptions });
  }
  const rulesApi = result.valid ? result.value.rulesApi : undefined;
  const storeAdapter = rulesApi?.adapter;
  if (storeAdapter !== undefined && rulesApi?.directory !== undefined) {
    // One store: with two, a write's home would be ambiguous.
    problems.push(
      document.problem(['rulesApi'], 'set either directory or adapter: the Rules API writes to one store'),
    );
  }
  if (storeAdapter !== undefined && !names.includes(storeAdapter)) {
    problems.push(
      document.problem(
        ['rulesApi', 'adapter'],
        `no adapter is named "${storeAdapter}" (adapters: ${names.filter((n) => n !== undefined).join(', ') || 'none'})`,
      ),
    );
  }
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return { file: absolute, baseDir, config, adapters };
}

/** The adapter entries that have the shape the schema checks (others are already reported), by index. */
function wellFormedAdapters(raw: unknown): (AdapterConfig | undefined)[] {
  const list = (raw as { adapters?: unknown } | null)?.adapters;
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown) => {
    const candidate = entry as Partial<AdapterConfig> | null;
    const ok =
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof candidate.type === 'string' &&
      candidate.type !== '' &&
      (candidate.name === undefined || typeof candidate.name === 'string');
    return ok ? (candidate as AdapterConfig) : undefined;
  });
}

/** The registry's partition for ServiceEntries' services (core's Registry refuses it for an adapter). */
const RESERVED_ADAPTER_NAME = 'rules';

/** An adapter's name defaults to its type; names must be unique (they name registry partitions). */
function adapterNames(
  entries: readonly (AdapterConfig | undefined)[],
  document: SourceDocument,
  problems: Problem[],
): (string | undefined)[] {
  const typeCounts = new Map<string, number>();
  for (const entry of entries) if (entry) typeCounts.set(entry.type, (typeCounts.get(entry.type) ?? 0) + 1);
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    if (entry === undefined) return undefined;
    if (entry.name === undefined && (typeCounts.get(entry.type) ?? 0) > 1) {
      problems.push(
        document.problem(
          ['adapters', index],
          `name is required: ${typeCounts.get(entry.type)} adapters have type "${entry.type}"`,
        ),
      );
    }
    const name = entry.name ?? entry.type;
    const first = seen.get(name);
    if (name === RESERVED_ADAPTER_NAME) {
      problems.push(
        document.problem(
          ['adapters', index, entry.name === undefined ? 'type' : 'name'],
          `"${name}" cannot name an adapter: it is the registry's name for the services traffic rules add`,
        ),
      );
    } else if (first !== undefined) {
      problems.push(
        document.problem(
          ['adapters', index, 'name'],
          `"${name}" is already the name of adapters[${first}]; names must be unique`,
        ),
      );
    } else {
      seen.set(name, index);
    }
    return name;
  });
}

export function adapterContext(
  name: string,
  baseDir: string,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): AdapterContext {
  return {
    name,
    logger: logger.child({ adapter: name }),
    baseDir,
    resolvePath: (p) => path.resolve(baseDir, p),
    env,
  };
}
