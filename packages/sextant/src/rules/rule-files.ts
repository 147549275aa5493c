import { readObservation, watchFile, type FileObservation } from '@sextant/adapter-file';
import { sleep } from '@sextant/adapter-kit';
import {
  formatProblem,
  type FileSizeLimit,
  type Logger,
  type RuleInput,
  type RuleProblem,
  type RuleSink,
} from '@sextant/core';
import { resolveRuleFiles } from './rule-file-patterns';

/** Rules files are small; a bigger one is refused before it is read. */
export const RULES_FILE_SIZE_LIMIT: FileSizeLimit = {
  maxBytes: 16 * 1024 * 1024,
  setting: 'fixed; see docs/operations.md',
};

/** Reads the rule resources in a file's text (core's readRuleDocuments). */
export type RuleDocumentReader = (
  text: string,
  source: string,
) => { readonly inputs: readonly RuleInput[]; readonly problems: readonly RuleProblem[] };

export interface RuleFilesOptions {
  /** `rules:` entries of sextant.yaml: files, directories and globs. */
  readonly patterns: readonly string[];
  readonly baseDir: string;
  /**
   * Absolute directories read after the patterns, whatever a reload makes of `rules:` (the Rules
   * API's store: a write must reach the mesh through it).
   */
  readonly storeDirectories?: readonly string[];
  /** How often files are re-read whatever change notifications say, and globs re-resolved. */
  readonly pollIntervalMs: number;
  readonly sizeLimit: FileSizeLimit;
  readonly read: RuleDocumentReader;
  readonly logger: Logger;
}

/**
 * The rules files of sextant.yaml, watched like the services file (edits, renames, a file deleted
 * and created again), each file a rule source of its own: a file that cannot be read or parsed
 * keeps its rules in force and says why; a bad resource in a good file keeps its last valid
 * version (the registry's RuleBook). Globs and directories are resolved again at every poll, so
 * a new file is picked up and a file that left the pattern has its rules removed.
 */
export class RuleFiles {
  private readonly watched = new Map<string, AbortController>();
  private readonly done: Promise<void>[] = [];
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private patterns: readonly string[];
  /** The resolve under way: one at a time, so one started on older patterns never finishes last. */
  private resolving: Promise<void> = Promise.resolve();
  private baseDir: string;

  constructor(
    private readonly sinkFor: (file: string) => RuleSink,
    private readonly options: RuleFilesOptions,
  ) {
    this.patterns = options.patterns;
    this.baseDir = options.baseDir;
  }

  /**
   * Reads every rules file once and reports it, then keeps watching in the background: called
   * before the adapters start, so the first snapshot proxies get already has the rules.
   */
  async start(): Promise<void> {
    const files = await this.files();
    for (const file of files) this.sinkFor(file);
    await Promise.all(
      files.map(async (file) => this.report(file, await readObservation(file, this.options.sizeLimit))),
    );
    this.loop = this.run(this.controller.signal);
  }

  /**
   * Resolves the patterns again now rather than at the next poll: a file the Rules API just
   * created is read at once (edits and deletions of watched files are seen by their watches).
   */
  async rescan(): Promise<void> {
    if (this.loop === undefined || this.controller.signal.aborted) return;
    await this.resolve(this.controller.signal);
  }

  /**
   * The `rules:` of a reloaded configuration: files they no longer name have their rules removed,
   * new ones are read and watched, now rather than at the next poll.
   */
  async setPatterns(patterns: readonly string[], baseDir: string): Promise<void> {
    this.patterns = patterns;
    this.baseDir = baseDir;
    if (this.loop !== undefined && !this.controller.signal.aborted)
      await this.resolve(this.controller.signal);
  }

  /** Stops watching; resolves once every watch and timer has stopped. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.resolve(signal);
      await sleep(this.options.pollIntervalMs, signal);
    }
    for (const controller of this.watched.values()) controller.abort();
    await Promise.all(this.done);
  }

  /** Every file the patterns name now, in pattern order then name order. */
  private files(): Promise<string[]> {
    return resolveRuleFiles([...this.patterns, ...(this.options.storeDirectories ?? [])], this.baseDir);
  }

  private resolve(signal: AbortSignal): Promise<void> {
    // A failed resolve is its caller's to see; the next one runs anyway.
    this.resolving = this.resolving.catch(() => undefined).then(() => this.resolveNow(signal));
    return this.resolving;
  }

  private async resolveNow(signal: AbortSignal): Promise<void> {
    const wanted = new Set(await this.files());
    for (const [file, controller] of this.watched) {
      if (wanted.has(file)) continue;
      controller.abort();
      this.watched.delete(file);
      this.sinkFor(file).replace([]);
      this.options.logger.info(
        { file },
        'rules file no longer matches a rules pattern; its rules are removed',
      );
    }
    for (const file of wanted) {
      if (this.watched.has(file) || signal.aborted) continue;
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort(), { once: true });
      this.watched.set(file, controller);
      this.done.push(
        watchFile(file, (observation) => this.report(file, observation), controller.signal, {
          pollIntervalMs: this.options.pollIntervalMs,
          sizeLimit: this.options.sizeLimit,
          logger: this.options.logger,
        }),
      );
    }
  }

  private report(file: string, observation: FileObservation): void {
    const sink = this.sinkFor(file);
    const reading = readRuleFile(file, observation, this.options.read);
    if (reading.kind === 'unreadable') {
      const problem = { ...reading.problem, message: `${reading.problem.message}; its rules in force stay` };
      sink.fail([problem]);
      this.options.logger.warn({ file, problem: formatProblem(problem) }, 'rules file cannot be read');
      return;
    }
    const { inputs, problems } = reading;
    sink.replace(inputs, problems);
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      this.options.logger.warn({ file, problems: errors.map(formatProblem) }, 'rules file has problems');
    } else {
      this.options.logger.info({ file, rules: inputs.length }, 'rules file loaded');
    }
  }
}

/** What one read of a rules file gives: its resources and the problems of the file as a whole, or why it cannot be read. */
export type RuleFileReading =
  | {
      readonly kind: 'read';
      readonly inputs: readonly RuleInput[];
      readonly problems: readonly RuleProblem[];
    }
  | { readonly kind: 'unreadable'; readonly problem: RuleProblem };

/** The rule resources of a rules file as observed (its bytes, or why it could not be read). */
export function readRuleFile(
  file: string,
  observation: FileObservation,
  read: RuleDocumentReader,
): RuleFileReading {
  if (observation.kind === 'unreadable') {
    return {
      kind: 'unreadable',
      problem: {
        severity: 'error',
        code: 'unreadable-file',
        file,
        path: '',
        message: `cannot read the rules file: it ${observation.reason}`,
      },
    };
  }
  return { kind: 'read', ...read(observation.bytes.toString('utf8'), file) };
}
