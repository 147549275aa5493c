import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readObservation } from '@sextant/adapter-file';
import {
  formatRuleIdentity,
  LEGACY_KINDS,
  NETWORKING_KINDS,
  readRuleDocuments,
  SECURITY_KINDS,
  ruleToStore,
  storedRule,
  type RuleIdentity,
  type RuleResource,
} from '@sextant/core';
import type { RuleStore, StoredRule } from '@sextant/core';
import { stringify } from 'yaml';
import { RULES_FILE_SIZE_LIMIT } from './rule-files';

const KINDS: ReadonlySet<string> = new Set<string>([...NETWORKING_KINDS, ...SECURITY_KINDS, ...LEGACY_KINDS]);
/** Namespaces and names are DNS labels and subdomains: nothing that could leave the directory. */
const NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/**
 * The Rules API's store on disk: one YAML file per resource, `<Kind>.<namespace>.<name>.yaml`, in
 * a directory that is also a rules source (the daemon adds it to `rules:`), so a write reaches the
 * mesh through the same watch as an operator's edit. Files are written whole to a hidden
 * temporary file and renamed over the old one, so a reader never sees half a resource. Replicas
 * sharing the directory (NFS, a synced volume) converge on what it holds.
 */
export class DirectoryRuleStore implements RuleStore {
  readonly description: string;

  constructor(
    private readonly directory: string,
    /** Told after each write, so this replica's rules source looks now instead of at its next poll. */
    private readonly written: () => Promise<void> = async () => undefined,
  ) {
    this.description = `directory ${directory}`;
  }

  async get(identity: RuleIdentity): Promise<StoredRule | undefined> {
    const file = this.fileOf(identity);
    if (file === undefined) return undefined;
    const observation = await readObservation(file, RULES_FILE_SIZE_LIMIT);
    if (observation.kind === 'unreadable') return undefined;
    const { inputs } = readRuleDocuments(observation.bytes.toString('utf8'), file);
    const [input] = inputs;
    if (input === undefined) return undefined;
    return storedRule(input);
  }

  async put(resource: RuleResource): Promise<StoredRule> {
    const { identity, stored } = ruleToStore(resource);
    const file = this.fileOf(identity);
    if (file === undefined)
      throw new Error(`${formatRuleIdentity(identity)} cannot be stored: not a rule name`);
    await fs.mkdir(this.directory, { recursive: true });
    const temporary = path.join(
      this.directory,
      `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await fs.writeFile(temporary, stringify(stored.resource), { mode: 0o644, flush: true });
      await fs.rename(temporary, file);
    } finally {
      await fs.rm(temporary, { force: true });
    }
    await this.written();
    return stored;
  }

  async delete(identity: RuleIdentity): Promise<boolean> {
    const file = this.fileOf(identity);
    if (file === undefined) return false;
    try {
      await fs.unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    await this.written();
    return true;
  }

  /** The file of an identity; undefined for one that is not a rule's (so no path leaves the directory). */
  private fileOf({ kind, namespace, name }: RuleIdentity): string | undefined {
    if (!KINDS.has(kind) || !NAME.test(namespace) || !NAME.test(name)) return undefined;
    return path.join(this.directory, `${kind}.${namespace}.${name}.yaml`);
  }
}
