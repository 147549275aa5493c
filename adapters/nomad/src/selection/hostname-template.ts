/**
 * The hostname a Nomad service gets in the mesh, from a template such as
 * `{service}.{namespace}.nomad` (the schema admits no other placeholder). Nomad service names and
 * namespaces are DNS-safe (letters, digits, dashes), so the result is a valid hostname.
 */
export class HostnameTemplate {
  constructor(readonly template: string) {}

  render(service: string, namespace: string): string {
    return this.template.replace(/\{(service|namespace)\}/g, (_, name: string) =>
      name === 'service' ? service : namespace,
    );
  }
}
