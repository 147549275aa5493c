/**
 * Nomad's HTTP API bodies for native service discovery, field for field and in the order Nomad's
 * encoder writes them (its struct order): `GET /v1/service/:name`, `GET /v1/services` and the
 * `Service` topic of `GET /v1/event/stream`.
 */

/** One registration: one service of one allocation. There is no health and no metadata. */
export interface NomadServiceRegistration {
  /** `_nomad-task-<allocID>-<task>-<service>-<portLabel>`; group services use `group-<group>` as the task. */
  readonly ID: string;
  readonly ServiceName: string;
  readonly Namespace: string;
  readonly NodeID: string;
  readonly Datacenter: string;
  readonly JobID: string;
  readonly AllocID: string;
  /** `null` when the service block has no tags (Go's encoding of a nil slice). */
  readonly Tags: readonly string[] | null;
  /** Chosen by `address_mode`; not necessarily routable, and not necessarily an IP. */
  readonly Address: string;
  readonly Port: number;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** One element of `GET /v1/services`: one namespace and the service names registered in it. */
export interface NomadServiceListStub {
  readonly Namespace: string;
  readonly Services: readonly { readonly ServiceName: string; readonly Tags: readonly string[] }[];
}

export type NomadServiceEventType = 'ServiceRegistration' | 'ServiceDeregistration';

/** One event of the `Service` topic. */
export interface NomadServiceEvent {
  readonly Topic: 'Service';
  readonly Type: NomadServiceEventType;
  /** The registration's ID. */
  readonly Key: string;
  readonly Namespace: string;
  /** `[JobID, ServiceName]`: what `topic=Service:<key>` also matches. */
  readonly FilterKeys: readonly string[];
  readonly Index: number;
  readonly Payload: { readonly Service: NomadServiceRegistration };
}

/** One line of the event stream: the events of one write. Heartbeats are `{}` lines. */
export interface NomadEventBatch {
  readonly Index: number;
  readonly Events: readonly NomadServiceEvent[];
}

/** A registration as a test writes it: the service name at least; the fake fills in the rest. */
export interface RegistrationInput {
  readonly ServiceName: string;
  readonly Address: string;
  readonly Port: number;
  readonly Namespace?: string;
  readonly ID?: string;
  readonly NodeID?: string;
  readonly Datacenter?: string;
  readonly JobID?: string;
  readonly AllocID?: string;
  readonly Tags?: readonly string[] | null;
  /** The port label, used in the generated ID. Default `http`. */
  readonly PortLabel?: string;
}

/** Field order of a registration on the wire. */
export const REGISTRATION_FIELDS: readonly (keyof NomadServiceRegistration)[] = [
  'ID',
  'ServiceName',
  'Namespace',
  'NodeID',
  'Datacenter',
  'JobID',
  'AllocID',
  'Tags',
  'Address',
  'Port',
  'CreateIndex',
  'ModifyIndex',
];

/** A registration with its fields in wire order, whatever order it was built in. */
export function inWireOrder(registration: NomadServiceRegistration): NomadServiceRegistration {
  const ordered: Record<string, unknown> = {};
  for (const field of REGISTRATION_FIELDS) ordered[field] = registration[field];
  return ordered as unknown as NomadServiceRegistration;
}
