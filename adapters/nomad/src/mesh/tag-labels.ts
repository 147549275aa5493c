import type { Labels } from '@sextant/core';

/**
 * Instance labels from Nomad tags: `key=value` becomes the label `key: value` (split at the first
 * `=`), any other tag `t` becomes `tag.t: "true"`, so a tag can select a subset as well as a
 * key/value label (`…|http|tag.canary=true`). Tags come sorted, so when one key appears twice the
 * first value in sort order wins, whatever order the job listed them in.
 */
export function labelsFromTags(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    const eq = tag.indexOf('=');
    const [key, value] = eq > 0 ? [tag.slice(0, eq), tag.slice(eq + 1)] : [`tag.${tag}`, 'true'];
    if (!(key in labels)) labels[key] = value;
  }
  return labels;
}

/** The value of the first `key=…` tag, if any (`protocol=grpc` → `grpc`). */
export function tagValue(labels: Labels, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}
