import { isIPv6 } from 'node:net';

/** `tcp://10.0.0.1:80`, `tcp://[fd00::1]:80`: the v1 address form. */
export function tcpUrl(ip: string, port: number): string {
  return `tcp://${hostPart(ip)}:${port}`;
}

/** An IP as it appears in a Host header or URL: IPv6 in brackets. */
export function hostPart(ip: string): string {
  return isIPv6(ip) ? `[${ip}]` : ip;
}

/** A one-address CIDR. */
export function hostCidr(ip: string): string {
  return isIPv6(ip) ? `${ip}/128` : `${ip}/32`;
}
