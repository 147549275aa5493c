/** The parts of a `/v1/health/service/:name` entry the adapter reads (platform-apis.md §1.4). */
export interface HealthEntry {
  readonly node: string;
  readonly nodeAddress: string;
  readonly nodeMeta: Readonly<Record<string, string>>;
  readonly serviceId: string;
  readonly serviceAddress: string;
  /** 0 when Consul omitted it (no port registered). */
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly weights: { readonly passing: number; readonly warning: number };
  /** `""` for a normal service; `connect-proxy`, `mesh-gateway`, … otherwise. */
  readonly kind: string;
  /** Status of every check of the instance, node-level ones included. */
  readonly checks: readonly string[];
}

/**
 * Reads one entry defensively: Consul writes `null` for empty maps and lists in places, omits
 * `Port` when 0 and `Kind` for normal services. Returns undefined for an entry without the
 * fields every entry has (a node name and a service id), which is then counted as malformed.
 */
export function readHealthEntry(value: unknown): HealthEntry | undefined {
  const entry = record(value);
  const node = record(entry?.Node);
  const service = record(entry?.Service);
  if (!node || !service || typeof node.Node !== 'string' || typeof service.ID !== 'string') return undefined;
  const weights = record(service.Weights);
  return {
    node: node.Node,
    nodeAddress: text(node.Address),
    nodeMeta: stringMap(node.Meta),
    serviceId: service.ID,
    serviceAddress: text(service.Address),
    port: typeof service.Port === 'number' ? service.Port : 0,
    tags: Array.isArray(service.Tags) ? service.Tags.filter((t): t is string => typeof t === 'string') : [],
    meta: stringMap(service.Meta),
    weights: {
      passing: typeof weights?.Passing === 'number' ? weights.Passing : 1,
      warning: typeof weights?.Warning === 'number' ? weights.Warning : 1,
    },
    kind: text(service.Kind),
    checks: (Array.isArray(entry?.Checks) ? entry.Checks : []).map((check) => text(record(check)?.Status)),
  };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(record(value) ?? {}))
    if (typeof item === 'string') result[key] = item;
  return result;
}
