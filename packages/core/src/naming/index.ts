export * from './service-key';
export * from './object-names';
export * from './proxy-identity';
export * from './host-names';
