import { PROTOCOLS, type Labels, type Protocol } from '@sextant/core';

/**
 * Labels of an instance: a tag `k=v` becomes label `k` = `v` (so `version=v2` selects a subset),
 * any other tag `t` becomes `tag.t` = `true`, and `Service.Meta` is copied over them (Meta is the
 * structured place for key/values, so it wins a conflict). Tags are read sorted, so the first
 * `k=…` in sorted order wins among tags, whatever order Consul sent them in.
 */
export function instanceLabels(tags: readonly string[], meta: Readonly<Record<string, string>>): Labels {
  const labels: Record<string, string> = {};
  for (const tag of [...tags].sort()) {
    const [key, value] = tagLabel(tag);
    if (!(key in labels)) labels[key] = value;
  }
  return { ...labels, ...meta };
}

/** The label one tag gives: `k=v` → `k` = `v`, any other tag `t` → `tag.t` = `true`. */
export function tagLabel(tag: string): [string, string] {
  const eq = tag.indexOf('=');
  return eq > 0 ? [tag.slice(0, eq), tag.slice(eq + 1)] : [`tag.${tag}`, 'true'];
}

/**
 * The protocol an instance declares, by `Service.Meta.protocol` or a tag `protocol=…`: a known
 * protocol, `invalid` for something else, or undefined when it declares none.
 */
export function declaredProtocol(
  tags: readonly string[],
  meta: Readonly<Record<string, string>>,
): Protocol | 'invalid' | undefined {
  const declared =
    meta.protocol ??
    [...tags]
      .sort()
      .find((tag) => tag.startsWith('protocol='))
      ?.slice('protocol='.length);
  if (declared === undefined) return undefined;
  const protocol = declared.toLowerCase();
  return (PROTOCOLS as readonly string[]).includes(protocol) ? (protocol as Protocol) : 'invalid';
}
