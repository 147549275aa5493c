import { formatProblem, validateAdapterOptions } from '@sextant/core';
import { rateLimitOptionsSchema, serviceSelectionSchema, tlsOptionsSchema, tokenOptionsSchema } from '../src';

/** The fragments as an adapter uses them: properties of its options schema. */
const factory = {
  optionsSchema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    properties: {
      ...tokenOptionsSchema({ token: 'ACL token (default EXAMPLE_TOKEN).', tokenFile: 'File holding it.' }),
      tls: tlsOptionsSchema,
      services: serviceSelectionSchema,
      rateLimit: rateLimitOptionsSchema({ burst: 100, interval: '20ms' }),
    },
  },
};
const problems = (options: Record<string, unknown>) =>
  validateAdapterOptions(factory, options).map(formatProblem);

describe('option schema fragments', () => {
  it('accept what adapters document', () => {
    expect(
      problems({
        token: 't',
        tokenFile: 'secrets/token',
        tls: { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem', serverName: 'server.example' },
        services: { include: ['web*'], exclude: [], includeTags: ['mesh'], excludeTags: ['canary'] },
        rateLimit: { burst: 20, interval: '50ms' },
      }),
    ).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  it('refuse empty strings and unknown fields, naming the option', () => {
    expect(problems({ token: '', tls: { ca: '' } })).toEqual([
      'token: must not be empty',
      'tls.ca: must not be empty',
    ]);
    expect(problems({ tls: { insecure: true } })[0]).toMatch(/^tls\.insecure: unknown field/);
    expect(problems({ services: { include: 'web' } })).toEqual([
      'services.include: expected array, got string ("web")',
    ]);
    expect(problems({ services: { include: [''] } })).toEqual(['services.include[0]: must not be empty']);
    expect(problems({ rateLimit: { burst: 0, interval: 'soon' } })).toHaveLength(2);
    expect(problems({ rateLimit: { perWatch: true } })[0]).toMatch(/^rateLimit\.perWatch: unknown field/);
  });

  it('keep token and tokenFile in that order, described as the adapter says', () => {
    const properties = tokenOptionsSchema({ token: 'a', tokenFile: 'b' });
    expect(Object.keys(properties)).toEqual(['token', 'tokenFile']);
    expect([properties.token.description, properties.tokenFile.description]).toEqual(['a', 'b']);
  });
});
