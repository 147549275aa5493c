export { describeAdapterConformance } from './describe-adapter-conformance';
export type {
  ConformanceInstance,
  ConformancePlatform,
  ConformanceService,
  ConformanceSubject,
} from './subject';
