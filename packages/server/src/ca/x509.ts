// @peculiar/x509 registers its algorithms with tsyringe, which needs the Reflect metadata API
// loaded first: every use of the library goes through this module.
import 'reflect-metadata';

export * from '@peculiar/x509';
