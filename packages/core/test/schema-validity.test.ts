import { daemonConfigSchema, schemaProblem } from '../src';

// compileValidator compiles schemas without checking them against the meta-schema (that cost
// every start-up some 50 ms per ajv instance); each schema's package checks it here instead.
describe('schemaProblem', () => {
  it('says why a schema is not a valid JSON Schema', () => {
    expect(schemaProblem({ type: 'object', properties: { a: { type: 'nope' } } })).toMatch(/type/);
    expect(schemaProblem({ type: 'object', required: 'a' })).toMatch(/required/);
    expect(schemaProblem({ type: 'string', format: 'duration' })).toBeUndefined();
  });

  it('finds the daemon config schema valid', () => {
    expect(schemaProblem(daemonConfigSchema)).toBeUndefined();
  });
});
