import { qualifiedResource, type ResourceType } from './resource-types';

/** The `Status` object the API server answers every failure with (and sends in watch ERROR events). */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: { readonly continue?: string };
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function kubeStatus(
  code: number,
  message: string,
  extra: { reason?: string; details?: Record<string, unknown>; continue?: string } = {},
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: extra.continue === undefined ? {} : { continue: extra.continue },
    status: 'Failure',
    message,
    reason: extra.reason ?? REASONS[code] ?? 'Unknown',
    ...(extra.details && { details: extra.details }),
    code,
  };
}

/** A watch or list from a resourceVersion the server has compacted away. */
export function tooOldResourceVersion(requested: string, oldest: number): KubeStatus {
  return kubeStatus(410, `too old resource version: ${requested} (${oldest})`, { reason: 'Expired' });
}

export function continueExpired(remainder: string | undefined): KubeStatus {
  return kubeStatus(
    410,
    'The provided continue parameter is too old to display a consistent list result. You can start a new ' +
      'list without the continue parameter, or use the continue token in this response to retrieve the ' +
      'remainder of the results. Continuing with the provided token results in an inconsistent list - ' +
      'objects that were created, modified, or deleted between the time the first chunk was returned and ' +
      'now may show up in the list.',
    { reason: 'Expired', ...(remainder !== undefined && { continue: remainder }) },
  );
}

export function forbidden(
  type: ResourceType,
  verb: string,
  user: string,
  namespace: string | undefined,
): KubeStatus {
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return kubeStatus(
    403,
    `${qualifiedResource(type)} is forbidden: User "${user}" cannot ${verb} resource "${type.resource}" ` +
      `in API group "${type.group}" ${scope}`,
    { details: { group: type.group, kind: type.resource } },
  );
}

export function tooManyRequests(retryAfterSeconds: number): KubeStatus {
  return kubeStatus(429, 'Too many requests, please try again later.', {
    details: { retryAfterSeconds },
  });
}

export function notFound(type: ResourceType, name: string): KubeStatus {
  return kubeStatus(404, `${qualifiedResource(type)} "${name}" not found`, {
    details: { name, group: type.group, kind: type.resource },
  });
}

export function tooLargeResourceVersion(requested: string, current: number): KubeStatus {
  return kubeStatus(504, `Too large resource version: ${requested}, current: ${current}`, {
    reason: 'Timeout',
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
  });
}

/** A create of an object that exists. */
export function alreadyExists(type: ResourceType, name: string): KubeStatus {
  return kubeStatus(409, `${qualifiedResource(type)} "${name}" already exists`, {
    reason: 'AlreadyExists',
    details: { name, group: type.group, kind: type.resource },
  });
}

/** An update from a resourceVersion that is no longer the object's: optimistic concurrency lost. */
export function conflict(type: ResourceType, name: string): KubeStatus {
  return kubeStatus(
    409,
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    { reason: 'Conflict', details: { name, group: type.group, kind: type.resource } },
  );
}

/** A write whose object fails validation: `field: Invalid value: …` as the API server words it. */
export function invalid(type: ResourceType, name: string, field: string, detail: string): KubeStatus {
  const kind = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
  return kubeStatus(422, `${kind} "${name}" is invalid: ${field}: ${detail}`, {
    reason: 'Invalid',
    details: { name, group: type.group, kind: type.kind, causes: [{ field, message: detail }] },
  });
}

/** The answer to a DELETE that removed the object at once (no finalizers). */
export function deleted(type: ResourceType, name: string, uid: string | undefined): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: type.group, kind: type.resource, ...(uid !== undefined && { uid }) },
  };
}
