import { isValidHostname } from '@sextant/core';

/** Turns (service, datacenter) into a mesh hostname by the `hostname` option's template. */
export class HostnameTemplate {
  constructor(readonly template: string) {}

  /** The hostname, or undefined when the result is not a valid DNS name (Consul allows names DNS does not). */
  render(service: string, datacenter: string): string | undefined {
    const hostname = this.template.replaceAll('{service}', service).replaceAll('{dc}', datacenter);
    return isValidHostname(hostname) ? hostname : undefined;
  }
}
