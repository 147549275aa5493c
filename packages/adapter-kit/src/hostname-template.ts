/**
 * The mesh hostname of a platform's service, from the `hostname` option: a template such as
 * `{service}.service.{dc}.consul` or `{service}.{namespace}.nomad`. Which placeholders a platform
 * offers is its own business: its options schema admits only those, and it passes their values.
 *
 * Placeholders are replaced in one pass, so a value that itself looks like a placeholder (a
 * service named `a{dc}`) stays as it is instead of being substituted in turn. The result is not
 * checked: an adapter whose names may not be DNS-safe checks it (`isValidHostname` in
 * `@sextant/core`), and the registry rejects what a proxy could not use in any case.
 */
export class HostnameTemplate {
  constructor(readonly template: string) {}

  /** The template with every `{name}` whose name `values` has replaced; other text stays. */
  render(values: Readonly<Record<string, string>>): string {
    return this.template.replace(/\{([A-Za-z0-9_]+)\}/g, (placeholder, name: string) =>
      Object.hasOwn(values, name) ? (values[name] as string) : placeholder,
    );
  }
}
