import { clientText } from '../client-text';
import { ServiceKeyError } from '../errors';
import type { Labels } from '../model';

/**
 * The service key names a set of instances: one port of one service, optionally narrowed
 * to a label subset. It is v1 SDS's `service_name` and v3 EDS's cluster name:
 * `<hostname>|<portName>` or `<hostname>|<portName>|k1=v1,k2=v2` (labels sorted by key;
 * a label with an empty value is written as its bare key, as Pilot did).
 */
export interface ServiceKey {
  readonly hostname: string;
  readonly portName: string;
  readonly labels: Labels;
}

const NAME = /^[A-Za-z0-9_.*-]+$/;
const LABEL_KEY = /^[A-Za-z0-9_./-]+$/;
// Values are free-form, except for the key's own separators and the escape character.
const LABEL_VALUE = /^[^|,%\s]*$/;

export function isValidHostname(hostname: string): boolean {
  return hostname.length > 0 && hostname.length <= 253 && NAME.test(hostname) && !hostname.includes('..');
}

export function isValidPortName(name: string): boolean {
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

/** Whether a label can appear in a service key. Labels that cannot still select instances elsewhere. */
export function isKeyableLabel(key: string, value: string): boolean {
  return LABEL_KEY.test(key) && LABEL_VALUE.test(value);
}

export function formatServiceKey(key: ServiceKey): string {
  const base = `${key.hostname}|${key.portName}`;
  const labels = formatLabels(key.labels);
  return labels ? `${base}|${labels}` : base;
}

/** `k1=v1,k2=v2`, sorted by key; bare `k` for an empty value. Throws for labels a key cannot carry. */
export function formatLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => {
      const v = labels[k] ?? '';
      if (!isKeyableLabel(k, v)) {
        throw new ServiceKeyError(
          `${k}=${v}`,
          'label keys and values may not contain "|", "," "%" or spaces',
        );
      }
      return v === '' ? k : `${k}=${v}`;
    })
    .join(',');
}

/**
 * Parses a service key as it arrives in a request path: raw (`a.b|http|version=v2`, as Envoy
 * sends it, unescaped) or percent-encoded (`a.b%7Chttp%7Cversion%3Dv2`).
 */
export function parseServiceKey(input: string): ServiceKey {
  const text = input.includes('%') ? decode(input) : input;
  const parts = text.split('|');
  if (parts.length < 2 || parts.length > 3) {
    throw new ServiceKeyError(input, 'expected <hostname>|<portName> or <hostname>|<portName>|<labels>');
  }
  const [hostname = '', portName = '', labelText] = parts;
  if (!isValidHostname(hostname))
    throw new ServiceKeyError(input, `hostname "${clientText(hostname)}" is not a valid name`);
  if (!isValidPortName(portName))
    throw new ServiceKeyError(input, `port name "${clientText(portName)}" is not a valid name`);
  return { hostname, portName, labels: labelText === undefined ? {} : parseLabels(input, labelText) };
}

function parseLabels(input: string, text: string): Labels {
  // A Map, then own properties: label keys such as `constructor` or `__proto__` are ordinary
  // keys here, not the names of members every object inherits.
  const labels = new Map<string, string>();
  if (text === '') return {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (!isKeyableLabel(key, value))
      throw new ServiceKeyError(input, `label "${clientText(pair)}" is not k=v`);
    if (labels.has(key)) throw new ServiceKeyError(input, `label "${key}" appears twice`);
    labels.set(key, value);
  }
  return Object.fromEntries(labels);
}

function decode(input: string): string {
  try {
    return decodeURIComponent(input);
  } catch {
    throw new ServiceKeyError(input, 'malformed percent-encoding');
  }
}

/** Whether an instance's labels include every label of a subset. */
export function labelsMatch(subset: Labels, labels: Labels): boolean {
  for (const key of Object.keys(subset)) {
    if (!Object.hasOwn(labels, key) || labels[key] !== subset[key]) return false;
  }
  return true;
}
