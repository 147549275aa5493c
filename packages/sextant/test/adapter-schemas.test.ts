import { schemaProblem } from '@sextant/core';
import { BUILT_IN_ADAPTERS, loadAdapterFactory } from '../src/config/load-adapter';

// The daemon compiles options schemas without checking them against the meta-schema (see
// compileValidator); the built-in adapters' are checked here.
describe('built-in adapters', () => {
  it.each(BUILT_IN_ADAPTERS)('%s has a valid options schema', (type) => {
    expect(schemaProblem(loadAdapterFactory(type, process.cwd()).optionsSchema)).toBeUndefined();
  });
});
