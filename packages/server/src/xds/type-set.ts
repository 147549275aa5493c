import { RESOURCE_TYPES, type ResourceTypeUrl } from '@sextant/envoy';

/**
 * A set of resource types as a number, a bit per type (its place in RESOURCE_TYPES): what a
 * push queues for each of thousands of streams, and what each stream waits to send, without a
 * Set apiece.
 */
export type TypeSet = number;

export const NO_TYPES: TypeSet = 0;

export function typeSetOf(typeUrl: ResourceTypeUrl): TypeSet {
  return 1 << RESOURCE_TYPES.indexOf(typeUrl);
}

export function hasType(types: TypeSet, typeUrl: ResourceTypeUrl): boolean {
  return (types & typeSetOf(typeUrl)) !== 0;
}

/** The types of a set, in RESOURCE_TYPES order (make-before-break). */
export function typesIn(types: TypeSet): ResourceTypeUrl[] {
  return RESOURCE_TYPES.filter((typeUrl) => hasType(types, typeUrl));
}
