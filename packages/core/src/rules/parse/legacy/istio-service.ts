import type { FieldPath } from '../../../schema/path';
import { showValue } from '../../../schema/show-value';
import type { Labels } from '../../../model';
import { checkedHost } from '../destination';
import { Fields } from '../fields';
import { readLabels } from '../labels';
import { isDns1123Label, SHORT_NAME_SUFFIX } from '../names';
import type { RuleContext } from '../rule-context';

const ISTIO_SERVICE = { known: ['name', 'namespace', 'domain', 'service', 'labels'] } as const;

/** A legacy IstioService: the host it names, and the labels (a version) it may add. */
export interface LegacyService {
  readonly host: string;
  readonly labels?: Labels;
}

/**
 * A legacy IstioService (`{ name, namespace, domain, service, labels }`) resolved as Pilot did
 * (`ResolveHostname`): `service` is the host as written; otherwise `name`, in `namespace` (the
 * rule's when absent), under `domain` (`svc.cluster.local` when absent). A `name` with a dot and
 * neither namespace nor domain is used as written, as every host a rule names is, so
 * `web.service.consul` names the Consul service.
 */
export function readIstioService(
  ctx: RuleContext,
  value: unknown,
  path: FieldPath,
  labels: 'allowed' | 'refused',
): LegacyService | undefined {
  const fields = Fields.read(ctx, value, path, ISTIO_SERVICE);
  if (!fields) return undefined;
  const service = fields.string('service', { nonEmpty: true });
  const name = fields.string('name', { nonEmpty: true });
  const namespace = fields.string('namespace', { nonEmpty: true });
  const domain = fields.string('domain', { nonEmpty: true });
  const serviceLabels = readLabels(fields, 'labels');
  if (serviceLabels !== undefined && labels === 'refused') {
    ctx.error(
      fields.at('labels'),
      'conflicting-fields',
      'destination labels are not allowed here: give them in route[].labels',
      {
        atKey: true,
      },
    );
  }
  if (namespace !== undefined && !isDns1123Label(namespace)) {
    ctx.error(
      fields.at('namespace'),
      'invalid-name',
      `${showValue(namespace)} is not a namespace name (a DNS-1123 label)`,
    );
  }
  let host: string | undefined;
  if (service !== undefined) {
    if (name !== undefined)
      ctx.error(fields.at('name'), 'conflicting-fields', 'give name or service, not both', { atKey: true });
    host = checkedHost(ctx, service, fields.at('service'), { star: 'refused' });
  } else if (name !== undefined) {
    if (namespace === undefined && domain === undefined) {
      host = checkedHost(ctx, name, fields.at('name'), { star: 'refused' });
    } else {
      const written = `${name}.${namespace ?? ctx.namespace}.${domain ?? SHORT_NAME_SUFFIX}`;
      host = checkedHost(ctx, written, fields.at(domain !== undefined ? 'domain' : 'name'), {
        star: 'refused',
      });
    }
  } else {
    ctx.error(fields.path, 'missing-field', 'a service needs name or service');
  }
  if (host === undefined) return undefined;
  return {
    host,
    ...(serviceLabels &&
      labels === 'allowed' &&
      Object.keys(serviceLabels).length > 0 && { labels: serviceLabels }),
  };
}

/**
 * The subset name istioctl gave a label set when it converted legacy rules (`labelsToSubsetName`):
 * `k=v` pairs sorted by key and joined by commas, with `=` and `.` turned into `-`
 * (`version: v1` → `version-v1`, `version: "1.0"` → `version-1-0`).
 */
export function legacySubsetName(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key] ?? ''}`)
    .join(',')
    .replace(/[=.]/g, '-');
}
