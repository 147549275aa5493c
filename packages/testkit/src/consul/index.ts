export { FakeConsul } from './fake-consul';
export type { FakeConsulOptions, FakeInstanceRef, FakeInstanceSpec, FakeRequestRecord } from './fake-consul';
export { DatacenterState } from './datacenter-state';
export { FaultPlan } from './fault-plan';
export type { FaultedRequest, FaultScope, InjectedError, InjectedRedirect } from './fault-plan';
export { DEFAULT_WAIT_MS, MAX_WAIT_MS, effectiveWaitMs } from './blocking-queries';
export { parseGoDuration } from '../go-duration';
export type { CheckStatus, FakeCheckInput, FakeNodeInput, FakeServiceInput, FakeTokenPolicy } from './types';
export { seedFixtureWorld } from './fixture-world';
