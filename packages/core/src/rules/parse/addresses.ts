import { isIP } from 'node:net';

/** Whether `text` is an IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export function isAddressOrCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash === -1) return isIP(text) !== 0;
  return isCidr(text);
}

/** Whether `text` is a CIDR block: an address, `/`, and a prefix length that fits it. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash === -1) return false;
  const family = isIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
