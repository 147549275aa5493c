import type { Labels, Locality } from '../model';
import { StringRecords } from './string-records';

/**
 * Labels and localities by content, for the length of one report. A mesh's instances repeat a
 * handful of them (`version: v1`, `zone: us-east1-b`) across hundreds of thousands of instances:
 * normalised once each and shared, they cost a few objects instead of two per instance (about
 * 15 MB at 100,000 instances). Values are shared only within one report, so nothing accumulates.
 */
export class SharedValues {
  private readonly labels = new StringRecords<Labels>();
  private readonly localities = new StringRecords<Locality>();
  /**
   * What each input object came to, for adapters that already share equal objects: the same
   * object again costs a lookup, not a JSON text. (Only clean inputs: one with something to reject
   * is looked at each time, so that each time is counted.)
   */
  private readonly seen = new Map<object, Labels | Locality>();

  /**
   * `labels` as model labels: its string values; the others are dropped, each with a reason in
   * `rejected` that `where` names. Undefined, null: no labels.
   */
  labelsOf(where: () => string, labels: unknown, rejected: string[]): Labels {
    if (labels === undefined || labels === null) return EMPTY;
    if (typeof labels !== 'object' || Array.isArray(labels)) {
      rejected.push(`${where()}: labels must be an object of strings`);
      return EMPTY;
    }
    const input = labels as Record<string, unknown>;
    const known = this.seen.get(input);
    if (known) return known as Labels;
    const shared = this.labels.share(input, copyStrings);
    if (!shared) return copyLabels(where, input, rejected);
    this.seen.set(input, shared);
    return shared;
  }

  /** `locality` as a model locality: its non-empty string fields. */
  localityOf(locality: unknown): Locality {
    if (!locality || typeof locality !== 'object') return EMPTY;
    const known = this.seen.get(locality);
    if (known) return known as Locality;
    const { region, zone, subzone } = locality as Record<string, unknown>;
    const result: { region?: string; zone?: string; subzone?: string } = {};
    if (typeof region === 'string' && region !== '') result.region = region;
    if (typeof zone === 'string' && zone !== '') result.zone = zone;
    if (typeof subzone === 'string' && subzone !== '') result.subzone = subzone;
    const shared = this.localities.share(result) as Locality;
    this.seen.set(locality, shared);
    return shared;
  }
}

/** Shared by everything without labels (or locality): never changed, as all model data. */
const EMPTY: Labels & Locality = Object.freeze({});

function copyStrings(labels: Readonly<Record<string, string>>): Labels {
  return { ...labels };
}

function copyLabels(where: () => string, labels: Record<string, unknown>, rejected: string[]): Labels {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value === 'string') result[key] = value;
    else rejected.push(`${where()}: label "${key}" is not a string`);
  }
  return result;
}
