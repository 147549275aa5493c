export { FakeNomad, type FakeNomadOptions, type FakeNomadTls, type RecordedRequest } from './fake-nomad';
export {
  PERMISSION_DENIED,
  TOKEN_NOT_FOUND,
  type AclOptions,
  type NamespaceGrant,
  type TokenPolicy,
} from './acl';
export { DEFAULT_ERROR_BODIES, type FaultedRequest, type NomadFault } from './faults';
export { NOMAD_MAX_WAIT_MS } from './blocking-query';
export { parseGoDuration } from '../go-duration';
export { FIXTURE_INDEX, fixtureRegistrations } from './fixture-world';
export { testCertificates, TEST_SERVER_NAME } from './test-certificates';
export type {
  NomadEventBatch,
  NomadServiceEvent,
  NomadServiceEventType,
  NomadServiceListStub,
  NomadServiceRegistration,
  RegistrationInput,
} from './wire';
