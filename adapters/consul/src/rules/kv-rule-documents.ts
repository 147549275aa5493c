import {
  DEFAULT_RULE_NAMESPACE,
  formatRuleIdentity,
  readRuleDocuments,
  ruleKey,
  type RuleInput,
  type RuleProblem,
  type RuleResource,
} from '@sextant/core';

/** Consul's own cap on a value (kv_max_value_size): a larger one is refused, not read. */
export const MAX_RULE_VALUE_BYTES = 512 * 1024;
/** Keys read under the prefix, in key order; the rest are named in one problem and not read. */
export const MAX_RULE_KEYS = 1000;

/** One KV entry as the `consul` client gives it: Value decoded to text, null when empty. */
export interface KvRuleEntry {
  readonly key: string;
  readonly value: string | null;
}

/** What the keys under the prefix hold: every rule read, and what kept some from being read. */
export interface KvRules {
  readonly rules: RuleResource[];
  readonly problems: RuleProblem[];
  /** Keys that hold a value (folders and empty keys left out). */
  readonly keys: number;
}

/** Where a rule read from `key` says it came from (rules, problems, /debug/rules). */
export function kvSource(key: string): string {
  return `consul-kv:${key}`;
}

interface KeyReading {
  readonly value: string;
  readonly inputs: readonly RuleInput[];
  readonly problems: readonly RuleProblem[];
}

/**
 * Reads rule documents from KV entries: each key holds what a rules file holds (YAML or JSON,
 * several documents with `---`, or a `kind: List`), located as `consul-kv:<key>`. Keys ending in
 * `/` are folders (`consul kv put sextant/rules/`) and hold nothing. A value that does not parse
 * is a problem of its key; the other keys' rules are read all the same. An identity held by two
 * keys is taken from the first in key order, and the second is a problem. A key's parse is kept
 * while its value is unchanged, so an answer that changes one key re-reads one key.
 */
export class KvRuleDocuments {
  private readonly byKey = new Map<string, KeyReading>();

  read(entries: readonly KvRuleEntry[]): KvRules {
    const withValues = entries
      .filter((entry) => !entry.key.endsWith('/') && entry.value !== null && entry.value.trim() !== '')
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const read = withValues.slice(0, MAX_RULE_KEYS);
    const problems: RuleProblem[] = [];
    if (withValues.length > read.length) {
      const first = withValues[MAX_RULE_KEYS]?.key ?? '';
      problems.push({
        file: kvSource(first),
        path: '',
        severity: 'error',
        code: 'too-many-keys',
        message:
          `${withValues.length - read.length} key(s) from "${first}" on are not read: ` +
          `at most ${MAX_RULE_KEYS} keys under the prefix hold rules`,
      });
    }
    const rules: RuleResource[] = [];
    const firstHolder = new Map<string, string>();
    const seen = new Set<string>();
    for (const { key, value } of read) {
      seen.add(key);
      const reading = this.readKey(key, value as string);
      problems.push(...reading.problems);
      for (const input of reading.inputs) {
        const identity = {
          kind: input.kind,
          namespace: input.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
          name: input.metadata.name,
        };
        const holder = firstHolder.get(ruleKey(identity));
        if (holder !== undefined) {
          problems.push({
            file: kvSource(key),
            path: '',
            rule: identity,
            severity: 'error',
            code: 'duplicate-identity',
            message: `${formatRuleIdentity(identity)} is also in key "${holder}", which comes first and is used; this one is not`,
          });
          continue;
        }
        firstHolder.set(ruleKey(identity), key);
        rules.push({
          apiVersion: input.apiVersion,
          kind: input.kind,
          metadata: input.metadata,
          spec: input.spec,
          source: kvSource(key),
        });
      }
    }
    for (const key of this.byKey.keys()) if (!seen.has(key)) this.byKey.delete(key);
    return { rules, problems, keys: read.length };
  }

  private readKey(key: string, value: string): KeyReading {
    const cached = this.byKey.get(key);
    if (cached?.value === value) return cached;
    const reading = parseValue(key, value);
    this.byKey.set(key, reading);
    return reading;
  }
}

function parseValue(key: string, value: string): KeyReading {
  const size = Buffer.byteLength(value, 'utf8');
  if (size > MAX_RULE_VALUE_BYTES) {
    const problem: RuleProblem = {
      file: kvSource(key),
      path: '',
      severity: 'error',
      code: 'too-large',
      message: `the value is ${size} bytes, more than the ${MAX_RULE_VALUE_BYTES} a rule key may hold; it is not read`,
    };
    return { value, inputs: [], problems: [problem] };
  }
  const { inputs, problems } = readRuleDocuments(value, kvSource(key));
  return { value, inputs, problems };
}
