export * from './read-regular-file';
