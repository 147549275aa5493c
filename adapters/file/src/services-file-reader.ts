import { hash } from 'node:crypto';
import { parsePlainly, StringRecords, type Problem } from '@sextant/core';
import { checkServicesFileText, passesEveryCheck, withinJsonBudget } from './parse-services-file';
import type { ServiceSpec } from './services-file-schema';
import { toServiceReport, type ServiceReport } from './to-adapter-state';
import { serviceSlices, type Slice } from './service-slices';

/** What one version of the services file means, next to the last valid version read before it. */
export type FileReading =
  | { readonly valid: false; readonly problems: Problem[] }
  | {
      readonly valid: true;
      /**
       * The first valid version (or one read without a last one to compare with): `changed` holds
       * every service and is reported as a full resync.
       */
      readonly complete: boolean;
      /**
       * Services added or whose content changed, checked, as the adapter reports them; empty for a
       * reader asked for JSON instead.
       */
      readonly changed: readonly ServiceReport[];
      /** Services added or changed as JSON (what a worker thread sends back), if asked for. */
      readonly changedJson: readonly string[];
      /** Hostnames the last valid version had and this one has not. */
      readonly removed: readonly string[];
      /** Services in the file. */
      readonly total: number;
    };

/**
 * Reads versions of a services file and says what each changed since the last valid one, so that
 * an edit of one service parses, checks and reports that service, not the other 9,999.
 *
 * A service is known by a digest of its text: in a JSON file of the usual shape, the bytes of its
 * element of the list (see service-slices.ts), and an element whose bytes are unchanged is not even
 * decoded; in any other file (YAML), its JSON once the whole file is parsed. A service whose digest
 * is unchanged was checked when it was last read and is neither checked nor reported again; the
 * rules between services (unique hostnames) are checked over all of them every time.
 *
 * Any problem sends the version through the full check, which locates and reports every problem
 * of the file exactly as a first read would; a version with problems changes nothing here.
 */
export class ServicesFileReader {
  /** The hostname of each service of the last valid version, by its digest; undefined before the first. */
  private last: Map<string, string> | undefined;
  private readonly keepJson: boolean;

  /**
   * `base`: what another reader's `base()` gave, to go on from where it was. `json`: whether
   * readings carry `changedJson` instead of `changed` (a worker sends JSON; the main thread reports).
   */
  constructor({ base, json = false }: { base?: string; json?: boolean } = {}) {
    this.keepJson = json;
    this.adopt(base);
  }

  /** Goes on from `base`, what another reader's `base()` gave (after it read a version for this one). */
  adopt(base: string | undefined): void {
    if (base === undefined) {
      this.last = undefined;
      return;
    }
    this.last = new Map();
    // Hostnames of a valid version are DNS names and digests are base64: neither holds a tab or a newline.
    for (const line of base.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) this.last.set(line.slice(0, tab), line.slice(tab + 1));
    }
  }

  /**
   * The last valid version's digests as one string (cheap to hand to another thread), for a new
   * reader to compare the next version with; undefined before the first valid version.
   */
  base(): string | undefined {
    if (!this.last) return undefined;
    const lines: string[] = [];
    for (const [digest, hostname] of this.last) lines.push(`${digest}\t${hostname}`);
    return lines.join('\n');
  }

  /**
   * The reading of a version when it is cheap to tell, else undefined (for `read`, somewhere it may
   * take its time): a JSON file of the usual shape, with a last valid version to compare with,
   * whose new and changed elements hold at most `maxChangedBytes` and pass every check. It costs a
   * pass over the bytes and a digest of them (some 3 ms per MB) and the parse of what changed.
   */
  readQuickly(bytes: Buffer, maxChangedBytes: number): FileReading | undefined {
    if (!this.last) return undefined;
    const slices = serviceSlices(bytes);
    return slices && this.compareSlices(bytes, slices, maxChangedBytes);
  }

  read(bytes: Buffer, file: string): FileReading {
    const reading = this.compare(bytes);
    if (reading) return reading;
    const checked = checkServicesFileText(bytes.toString('utf8'), file);
    if (!checked.valid) return checked;
    // Valid after all, which the comparison should not have missed: read it in full.
    this.last = undefined;
    return (
      this.compareParsed(checked.value) ?? {
        valid: false,
        problems: [{ file, path: '', message: 'the file could not be compared with its last version' }],
      }
    );
  }

  /** The reading of a version whose changed services pass every check; else undefined. */
  private compare(bytes: Buffer): FileReading | undefined {
    const slices = serviceSlices(bytes);
    if (slices) return this.compareSlices(bytes, slices);
    const text = bytes.toString('utf8');
    const plain = parsePlainly(text);
    // JSON.stringify of a document whose aliases repeat long values could be huge: such a file
    // goes to the full check, which refuses it.
    return plain.ok && withinJsonBudget(plain.value, text) ? this.compareParsed(plain.value) : undefined;
  }

  private compareSlices(
    bytes: Buffer,
    slices: readonly Slice[],
    maxChangedBytes = Infinity,
  ): FileReading | undefined {
    const comparison = new Comparison(this.last, this.keepJson);
    let changedBytes = 0;
    for (const [start, end] of slices) {
      const digest = hash('sha1', bytes.subarray(start, end), 'base64');
      if (comparison.unchanged(digest)) continue;
      if ((changedBytes += end - start) > maxChangedBytes) return undefined;
      // Decoded one element at a time, what is parsed dies young: reading the file whole leaves
      // the whole text and everything parsed from it to the collector of long-lived objects.
      const json = bytes.toString('utf8', start, end);
      const plain = parsePlainly(json);
      if (!plain.ok || !comparison.add(digest, plain.value, json)) return undefined;
    }
    return this.finish(comparison);
  }

  private compareParsed(value: unknown): FileReading | undefined {
    const root = asRecord(value);
    const items = root?.services;
    if (!root || !Array.isArray(items) || Object.keys(root).length !== 1) return undefined;
    const comparison = new Comparison(this.last, this.keepJson);
    for (const item of items) {
      const json = JSON.stringify(item);
      const digest = hash('sha1', json, 'base64');
      if (!comparison.unchanged(digest) && !comparison.add(digest, item, json)) return undefined;
    }
    return this.finish(comparison);
  }

  private finish(comparison: Comparison): FileReading | undefined {
    const { changed, changedJson, next } = comparison;
    if (comparison.failed) return undefined;
    const removed: string[] = [];
    for (const hostname of this.last?.values() ?? []) if (!comparison.has(hostname)) removed.push(hostname);
    const complete = this.last === undefined;
    this.last = next;
    return { valid: true, complete, changed, changedJson, removed, total: next.size };
  }
}

/**
 * One version's services set against the last valid version's, one at a time. Each new or changed
 * service is checked and turned into its report as it is read, so that what was parsed of it dies
 * young: held until the whole file is read, the parsed services were one more copy of the mesh for
 * the collector to move to its old generation (and collect from there), after the reports and the
 * model.
 */
class Comparison {
  /** Hostname by digest, of this version. */
  readonly next = new Map<string, string>();
  readonly changed: ServiceReport[] = [];
  readonly changedJson: string[] = [];
  /** A hostname repeats: the version has a problem. */
  failed = false;
  private readonly hostnames = new Set<string>();
  private readonly repeated = new RepeatedValues();

  constructor(
    private readonly last: ReadonlyMap<string, string> | undefined,
    private readonly keepJson: boolean,
  ) {}

  /** Whether the service with this digest is one of the last version's (and is now counted in). */
  unchanged(digest: string): boolean {
    const hostname = this.last?.get(digest);
    if (hostname === undefined || this.next.has(digest)) return false;
    this.count(digest, hostname);
    return true;
  }

  /**
   * Counts in a new or changed service; false when it has a problem (the schema, the rules within a
   * service: the rules between services are this comparison's own).
   */
  add(digest: string, value: unknown, json: string): boolean {
    const hostname = asRecord(value)?.hostname;
    if (typeof hostname !== 'string') return false;
    if (!passesEveryCheck({ services: [value] })) return false;
    this.count(digest, hostname);
    if (this.keepJson) {
      this.changedJson.push(json);
    } else {
      this.repeated.share(value as Record<string, unknown>);
      this.changed.push(toServiceReport(value as ServiceSpec));
    }
    return true;
  }

  has(hostname: string): boolean {
    return this.hostnames.has(hostname);
  }

  private count(digest: string, hostname: string): void {
    if (this.hostnames.has(hostname) || this.next.has(digest)) this.failed = true;
    this.hostnames.add(hostname);
    this.next.set(digest, hostname);
  }
}

/**
 * Instances of a mesh repeat a few labels and localities (`version: v1`, `zone: z1`) hundreds of
 * thousands of times. Each parsed copy is replaced by one shared object of the same content, so
 * the copies die young and the registry, finding the same object again, shares its own too.
 */
class RepeatedValues {
  private readonly labels = new StringRecords<object>();
  private readonly localities = new StringRecords<object>();

  /** Shares the labels and locality of a parsed service's instances (as far as they are objects of strings). */
  share(service: Record<string, unknown>): void {
    if (!Array.isArray(service.instances)) return;
    for (const instance of service.instances as unknown[]) {
      const record = asRecord(instance);
      if (!record) continue;
      const labels = asRecord(record.labels);
      if (labels) record.labels = this.labels.share(labels) ?? labels;
      const locality = asRecord(record.locality);
      if (locality) record.locality = this.localities.share(locality) ?? locality;
    }
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
