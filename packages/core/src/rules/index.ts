export * from './resource';
export * from './model';
export * from './problems';
export * from './parse';
export * from './validate';
