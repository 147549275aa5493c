import { ConsulHttpError } from './request-params';

/**
 * The config-entry kinds the fake stores (Consul's `structs.ValidateConfigEntryKind` knows more;
 * these are the L7 traffic-management ones and the two global ones tools read).
 */
export const CONFIG_ENTRY_KINDS = [
  'service-defaults',
  'service-router',
  'service-splitter',
  'service-resolver',
  'proxy-defaults',
  'mesh',
] as const;
export type ConfigEntryKind = (typeof CONFIG_ENTRY_KINDS)[number];

/** A config entry as Consul's API shows it: PascalCase fields, with its raft indexes. */
export type ConfigEntryJson = Readonly<Record<string, unknown>> & {
  readonly Kind: string;
  readonly Name: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
};

/** What a write carries: an entry without indexes (ignored if given: Consul sets them). */
export type ConfigEntryInput = Readonly<Record<string, unknown>> & {
  readonly Kind: string;
  readonly Name: string;
};

/**
 * One datacenter's config entries, with Consul's index rules for them: each write takes the next
 * raft index of the datacenter (shared with the catalog); reads of a kind or of one entry answer
 * with the index of the last write to the config-entries table (Consul's state store keeps one
 * index for the table, so any config-entry write wakes every config-entry watch).
 */
export class ConfigEntryStore {
  private readonly entries = new Map<string, ConfigEntryJson>();
  private tableIndex: number;

  constructor(
    /** Takes the datacenter's next raft index. */
    private readonly nextIndex: () => number,
    firstIndex: number,
  ) {
    this.tableIndex = firstIndex;
  }

  get index(): number {
    return this.tableIndex;
  }

  /** `GET /v1/config/:kind`: every entry of the kind, by name. */
  list(kind: string): ConfigEntryJson[] {
    checkKind(kind);
    return [...this.entries.values()]
      .filter((entry) => entry.Kind === kind)
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  get(kind: string, name: string): ConfigEntryJson | undefined {
    checkKind(kind);
    return this.entries.get(key(kind, name));
  }

  /**
   * `PUT /v1/config` (upsert). With `cas`: 0 writes only if the entry does not exist, another
   * value only if it is the entry's ModifyIndex; returns whether it wrote.
   */
  apply(input: unknown, cas?: bigint): boolean {
    const entry = validEntry(input);
    const k = key(entry.Kind, entry.Name);
    const existing = this.entries.get(k);
    if (cas !== undefined) {
      const current = existing ? BigInt(existing.ModifyIndex) : undefined;
      if (cas === 0n ? existing !== undefined : current !== cas) return false;
    }
    const index = this.nextIndex();
    const { CreateIndex: _c, ModifyIndex: _m, ...fields } = entry as Record<string, unknown>;
    this.entries.set(k, {
      ...fields,
      Kind: entry.Kind,
      Name: entry.Name,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
    } as ConfigEntryJson);
    this.tableIndex = index;
    return true;
  }

  /** `DELETE /v1/config/:kind/:name`: deleting what is absent writes nothing. With `cas`, as in apply. */
  delete(kind: string, name: string, cas?: bigint): boolean {
    checkKind(kind);
    const k = key(kind, name);
    const existing = this.entries.get(k);
    if (cas !== undefined && (!existing || BigInt(existing.ModifyIndex) !== cas)) return false;
    if (!existing) return true;
    this.entries.delete(k);
    this.tableIndex = this.nextIndex();
    return true;
  }

  /** A snapshot restore moved the datacenter's indexes back by `back`. */
  rewind(back: (index: number) => number): void {
    this.tableIndex = back(this.tableIndex);
    for (const [k, entry] of this.entries) {
      this.entries.set(k, {
        ...entry,
        CreateIndex: back(entry.CreateIndex),
        ModifyIndex: back(entry.ModifyIndex),
      });
    }
  }
}

function key(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** Consul's `invalid config entry kind` (an RPC error, so a 500 over HTTP). */
function checkKind(kind: string): asserts kind is ConfigEntryKind {
  if (!(CONFIG_ENTRY_KINDS as readonly string[]).includes(kind)) {
    throw new ConsulHttpError(500, `invalid config entry kind: ${kind}`);
  }
}

/** The checks Consul's decoder and `Validate` make that a reader relies on; 400s worded as Consul's. */
function validEntry(input: unknown): ConfigEntryInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConsulHttpError(
      400,
      'Request decoding failed: Payload does not contain a kind/Kind key at the top level',
    );
  }
  const entry = input as Record<string, unknown>;
  if (typeof entry.Kind !== 'string' || entry.Kind === '') {
    throw new ConsulHttpError(
      400,
      'Request decoding failed: Payload does not contain a kind/Kind key at the top level',
    );
  }
  if (!(CONFIG_ENTRY_KINDS as readonly string[]).includes(entry.Kind)) {
    throw new ConsulHttpError(400, `Request decoding failed: invalid config entry kind: ${entry.Kind}`);
  }
  if (typeof entry.Name !== 'string' || entry.Name === '') {
    throw new ConsulHttpError(500, 'Name is required');
  }
  if (entry.Kind === 'service-splitter') checkSplits(entry.Splits);
  return entry as ConfigEntryInput;
}

/** `ServiceSplitterConfigEntry.Validate`: at least one split, weights summing to 100 (to 0.01). */
function checkSplits(splits: unknown): void {
  if (!Array.isArray(splits) || splits.length === 0) {
    throw new ConsulHttpError(500, 'no splits configured');
  }
  let sum = 0;
  for (const split of splits as Record<string, unknown>[]) {
    const weight = typeof split?.Weight === 'number' ? split.Weight : 0;
    sum += Math.round(weight * 100);
  }
  if (sum !== 10_000) {
    throw new ConsulHttpError(500, `the sum of all split weights must be 100, not ${(sum / 100).toFixed(2)}`);
  }
}
