import type { LocalPort } from '../../mesh-index';

/** What a sidecar's inbound resources depend on: its workload's ports, their protocols and services. */
export function localPortsKey(ports: readonly LocalPort[]): string {
  return ports.map((p) => `${p.port}/${p.servicePort.protocol}/${p.hostname}`).join(',');
}
