import type { RuleResource } from '@sextant/core';
import type { EntryProblem } from './translate/entry-problems';
import {
  CONFIG_ENTRY_KINDS,
  readConfigEntry,
  type ConfigEntry,
  type ConfigEntryKind,
  type EntryReading,
} from './translate/read-entries';
import { translateEntries, type TranslationContext } from './translate/translate-entries';

/**
 * The config entries last listed, kind by kind, and what they translate to. An entry that cannot
 * be translated (an error) is not applied: its last translatable version stays in use, as a bad
 * version of a rule in a file leaves the last good one in force; an entry deleted from Consul is
 * forgotten, good versions and all.
 */
export class ConfigEntryBook {
  private readonly listed = new Map<ConfigEntryKind, Map<string, EntryReading>>();
  private readonly lastGood = new Map<string, ConfigEntry>();

  /** A kind's whole list, as Consul answered it. */
  setKind(kind: ConfigEntryKind, entries: readonly unknown[]): void {
    const readings = new Map<string, EntryReading>();
    entries.forEach((raw, index) => {
      const reading = readConfigEntry(kind, raw, index);
      readings.set(reading.key, reading);
      if (reading.entry) this.lastGood.set(reading.key, reading.entry);
    });
    for (const key of this.listed.get(kind)?.keys() ?? []) {
      if (!readings.has(key)) this.lastGood.delete(key);
    }
    this.listed.set(kind, readings);
  }

  /** Every kind has been listed at least once: a translation now is of the whole chain. */
  get complete(): boolean {
    return CONFIG_ENTRY_KINDS.every((kind) => this.listed.has(kind));
  }

  translate(context: TranslationContext): { rules: RuleResource[]; problems: EntryProblem[] } {
    const inUse: ConfigEntry[] = [];
    const problems: EntryProblem[] = [];
    for (const kind of CONFIG_ENTRY_KINDS) {
      for (const [key, reading] of this.listed.get(kind) ?? []) {
        problems.push(...reading.problems);
        const entry = reading.entry ?? this.lastGood.get(key);
        if (entry) inUse.push(entry);
      }
    }
    const translation = translateEntries(inUse, context);
    return { rules: translation.rules, problems: [...problems, ...translation.problems] };
  }
}
