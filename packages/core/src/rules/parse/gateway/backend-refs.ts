import { showValue } from '../../../schema/show-value';
import type { Destination, HeaderOperations, WeightedDestination } from '../../model';
import { Fields } from '../fields';
import { isDns1123Label, resolveHost } from '../names';
import type { RuleContext } from '../rule-context';
import { readHeaderModifier } from './header-modifier';

/** Gateway API caps: `backendRefs` (MaxItems=16), a weight (0–1000000, default 1). */
export const MAX_BACKEND_REFS = 16;
const MAX_WEIGHT = 1_000_000;
const DEFAULT_WEIGHT = 1;

/** A mirror's backendRef. */
export const BACKEND_OBJECT_REF = { known: ['group', 'kind', 'name', 'namespace', 'port'] } as const;
const HTTP_BACKEND_REF = { known: [...BACKEND_OBJECT_REF.known, 'weight', 'filters'] } as const;
const BACKEND_FILTER = {
  known: ['type', 'requestHeaderModifier', 'responseHeaderModifier'],
  unsupported: {
    requestRedirect: 'a redirect of one backend is not supported: give it in the rule',
    urlRewrite: 'a URL rewrite of one backend is not supported: give it in the rule',
    requestMirror: 'a mirror of one backend is not supported: give it in the rule',
    cors: 'CORS of one backend is not supported: give it in the rule',
    extensionRef: 'extension filters (ExtensionRef) are not supported',
  },
} as const;

/** `group: ""` (or `core`, as the GAMMA docs write it) with `kind: Service`: a Kubernetes Service. */
export function isServiceRef(group: string, kind: string): boolean {
  return (group === '' || group === 'core') && kind === 'Service';
}

/**
 * A BackendObjectReference to a Service (`{ name, namespace?, port }`) as a destination: its FQDN
 * in the route's namespace unless another is named, and its port (required for a Service).
 */
export function readBackendObject(ctx: RuleContext, fields: Fields): Destination | undefined {
  const group = fields.string('group') ?? '';
  const kind = fields.string('kind') ?? 'Service';
  if (!isServiceRef(group, kind)) {
    ctx.error(
      fields.has('kind') ? fields.at('kind') : fields.at('group'),
      'unsupported-field',
      `Sextant routes to Services only (group "" and kind Service), not ${showValue(group === '' ? kind : `${group}/${kind}`)}`,
    );
    return undefined;
  }
  const name = fields.string('name', { required: true });
  const namespace = fields.string('namespace');
  const port = fields.integer('port', { min: 1, max: 65535 });
  if (!fields.has('port')) {
    fields.ctx.error(fields.at('port'), 'missing-field', 'a backend that is a Service needs its port');
  }
  if (name !== undefined && !isDns1123Label(name)) {
    ctx.error(
      fields.at('name'),
      'invalid-name',
      `${showValue(name)} is not a Service name (a DNS-1123 label)`,
    );
    return undefined;
  }
  if (namespace !== undefined && !isDns1123Label(namespace)) {
    ctx.error(
      fields.at('namespace'),
      'invalid-name',
      `${showValue(namespace)} is not a namespace name (a DNS-1123 label)`,
    );
    return undefined;
  }
  if (namespace !== undefined && namespace !== ctx.namespace) {
    ctx.warn(
      fields.at('namespace'),
      'unchecked-reference-grant',
      `a backend in namespace ${namespace} needs a ReferenceGrant there, which Sextant does not check: the route is applied as if there were one`,
    );
  }
  if (name === undefined || port === undefined) return undefined;
  return { host: resolveHost(name, namespace ?? ctx.namespace), port };
}

/**
 * `backendRefs[]`: destinations with relative weights as written (default 1; a weight 0 backend
 * gets no traffic). Undefined when one did not read (reported).
 */
export function readBackendRefs(parent: Fields, name: string): WeightedDestination[] | undefined {
  const ctx = parent.ctx;
  const items = parent.list(name);
  if (items.length > MAX_BACKEND_REFS) {
    ctx.error(parent.at(name), 'invalid-value', `a rule has at most ${MAX_BACKEND_REFS} backendRefs`);
    return undefined;
  }
  const destinations: WeightedDestination[] = [];
  let failed = false;
  for (const item of items) {
    const fields = Fields.read(ctx, item.value, item.path, HTTP_BACKEND_REF);
    if (!fields) {
      failed = true;
      continue;
    }
    const destination = readBackendObject(ctx, fields);
    const weight = fields.has('weight')
      ? fields.integer('weight', { min: 0, max: MAX_WEIGHT })
      : DEFAULT_WEIGHT;
    const headers = readBackendFilters(fields);
    if (!destination || weight === undefined || headers === null) {
      failed = true;
      continue;
    }
    destinations.push({
      ...destination,
      weight,
      ...(headers && { headers }),
      origin: ctx.origin(item.path),
    });
  }
  return failed ? undefined : destinations;
}

/** A backend's own filters: header edits only. `null` when one did not read (reported). */
function readBackendFilters(fields: Fields): HeaderOperations | undefined | null {
  const ctx = fields.ctx;
  let request;
  let response;
  let failed = false;
  for (const item of fields.list('filters')) {
    const filter = Fields.read(ctx, item.value, item.path, BACKEND_FILTER);
    if (!filter) {
      failed = true;
      continue;
    }
    const type = filter.oneOf(
      'type',
      ['RequestHeaderModifier', 'ResponseHeaderModifier'] as const,
      'filter type of a backend',
    );
    if (type === undefined) {
      if (!filter.has('type')) filter.require('type');
      failed = true;
      continue;
    }
    const field = type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier';
    const edits = readHeaderModifier(filter, field);
    if (!edits) {
      failed = true;
      continue;
    }
    if (type === 'RequestHeaderModifier') request = edits;
    else response = edits;
  }
  if (failed) return null;
  if (!request && !response) return undefined;
  return { ...(request && { request }), ...(response && { response }) };
}
