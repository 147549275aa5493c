export * from './conformance';
export * from './recording-sink';
export * from './wait-for';
export * from './free-port';
export * from './request-recorder';
export * from './test-certificates';
