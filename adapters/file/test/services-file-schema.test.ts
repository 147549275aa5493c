import { schemaProblem } from '@sextant/core';
import { servicesFileSchema } from '../src/services-file-schema';

// Compiled without a check against the meta-schema at start-up (see compileValidator): checked here.
it('the services file schema is a valid JSON Schema', () => {
  expect(schemaProblem(servicesFileSchema)).toBeUndefined();
});
