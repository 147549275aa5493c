import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import type { Destination } from '../model';
import { Fields } from './fields';
import { hostProblem, isDns1123Label, resolveHost } from './names';
import type { RuleContext } from './rule-context';

const DESTINATION = { known: ['host', 'subset', 'port'] } as const;
const PORT_SELECTOR = { known: ['number'] } as const;

/** An Istio Destination (`{ host, subset, port: { number } }`), its host resolved in the rule's namespace. */
export function readDestination(ctx: RuleContext, value: unknown, path: FieldPath): Destination | undefined {
  const fields = Fields.read(ctx, value, path, DESTINATION);
  if (!fields) return undefined;
  const host = readHost(ctx, fields, 'host');
  const subset = readSubsetName(fields, 'subset');
  const portFields = fields.message('port', PORT_SELECTOR);
  const port = portFields?.integer('number', { min: 1, max: 65535, required: true });
  if (host === undefined || (fields.has('subset') && subset === undefined)) return undefined;
  if (portFields && port === undefined) return undefined;
  return { host, ...(subset !== undefined && { subset }), ...(port !== undefined && { port }) };
}

/**
 * A host field (required): valid as Istio's wildcard-domain rule says, resolved in the rule's
 * namespace. `*` alone names every host and is refused where a single host is meant.
 */
export function readHost(ctx: RuleContext, fields: Fields, name: string): string | undefined {
  const host = fields.string(name, { required: true });
  if (host === undefined) return undefined;
  return checkedHost(ctx, host, fields.at(name), { star: 'refused' });
}

/** A host (`reviews`, `*.example.com`, `web.service.consul`) checked and resolved, or undefined (reported). */
export function checkedHost(
  ctx: RuleContext,
  host: string,
  path: FieldPath,
  options: { star: 'allowed' | 'refused'; ip?: 'allowed' | 'refused' },
): string | undefined {
  if (host === '*' && options.star === 'refused') {
    ctx.error(path, 'invalid-host', 'the wildcard host "*" is not allowed here');
    return undefined;
  }
  const problem = hostProblem(host, options.ip ?? 'refused');
  if (problem !== undefined) {
    ctx.error(path, 'invalid-host', problem);
    return undefined;
  }
  return resolveHost(host, ctx.namespace);
}

/** A subset name: a DNS-1123 label (Istio `validateSubsetName`). */
export function readSubsetName(fields: Fields, name: string): string | undefined {
  const subset = fields.string(name);
  if (subset === undefined) return undefined;
  if (isDns1123Label(subset)) return subset;
  fields.ctx.error(
    fields.at(name),
    'invalid-name',
    `${showValue(subset)} is not a subset name (lower-case letters, digits and "-", at most 63)`,
  );
  return undefined;
}
