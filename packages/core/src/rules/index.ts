export * from './resource';
export * from './model';
export * from './problems';
