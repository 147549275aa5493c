import {
  AdapterLoadError,
  checkAdapterFactory,
  compileValidator,
  ConfigError,
  daemonConfigSchema,
  formatProblem,
  SourceDocument,
  validateAdapterOptions,
  type DaemonConfig,
  type PrecompiledValidators,
} from '../src';

describe('located schema problems', () => {
  const validate = compileValidator<DaemonConfig>(daemonConfigSchema);

  it('fills defaults for everything but the adapters', () => {
    const result = validate({ adapters: [{ type: 'file', path: 'x.yaml' }] });
    expect(result.valid && result.value).toEqual({
      listen: { discovery: '127.0.0.1:15003', admin: '127.0.0.1:15000', xds: '127.0.0.1:15010' },
      debounce: { after: '100ms', max: '1s' },
      dns: { refresh: '30s' },
      rules: [],
      rulesApi: {},
      defaults: {
        retries: { attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'reset-before-request'] },
      },
      log: { level: 'info' },
      limits: {
        renderCache: '128MiB',
        trackedClients: 20_000,
        discovery: {
          maxConnections: 20_000,
          requestTimeout: '30s',
          headersTimeout: '10s',
          idleTimeout: '75s',
        },
        admin: { maxConnections: 256, requestTimeout: '30s', headersTimeout: '10s', idleTimeout: '75s' },
        xds: {
          maxConnections: 20_000,
          maxStreamsPerConnection: 100,
          idleTimeout: '5m',
          maxConnectionAge: '30m',
          maxConnectionAgeGrace: '10s',
          maxNamesPerType: 100_000,
          maxUnservedTypes: 16,
          maxResponsesInFlight: 8,
        },
      },
      admin: { allowedHosts: [], proxyRetention: '10m' },
      security: {
        meshTls: {
          certsDir: '/etc/sextant/certs',
          trustDomain: 'cluster.local',
          rootNamespace: 'istio-system',
        },
      },
      adapters: [{ type: 'file', path: 'x.yaml' }],
    });
  });

  it('takes a listener as host:port or as { address, tls }, and says what is wrong with either', () => {
    const tls = { certFile: 'tls.crt', keyFile: 'tls.key', clientCAFile: 'ca.crt', requireClientCert: true };
    const ok = validate({
      listen: { discovery: { address: '0.0.0.0:15003', tls }, xds: '127.0.0.1:15010' },
      admin: { tokenFile: 'admin-token' },
      security: { nodeAuthorization: 'strict' },
      adapters: [{ type: 'file', path: 'x.yaml' }],
    });
    expect(ok.valid && ok.value.listen).toEqual({
      discovery: { address: '0.0.0.0:15003', tls },
      admin: '127.0.0.1:15000',
      xds: '127.0.0.1:15010',
    });
    const bad = validate({
      listen: {
        discovery: { address: 'nowhere', tls: { certFile: 'tls.crt', clientCA: 'ca.crt' } },
        admin: 15000,
      },
      security: { nodeAuthorization: 'lenient', meshTls: { certsDir: 'certs', trustDomain: 'Bad Domain' } },
      adapters: [{ type: 'file', path: 'x.yaml' }],
    });
    expect(bad.valid ? [] : bad.problems.map(formatProblem)).toEqual(
      expect.arrayContaining([
        'listen.discovery.address: not host:port (e.g. 127.0.0.1:15003 or [::1]:15003) ("nowhere")',
        'listen.discovery.tls.keyFile: missing required field',
        'listen.discovery.tls.clientCA: unknown field (expected one of: certFile, keyFile, clientCAFile, requireClientCert)',
        'listen.admin: expected object, got number (15000)',
        'security.nodeAuthorization: expected one of "strict", "off", got "lenient"',
        expect.stringMatching(/^security\.meshTls\.certsDir: .*absolute path/),
        expect.stringMatching(/^security\.meshTls\.trustDomain: .*trust domain/),
      ]),
    );
  });

  it('says what is wrong with limits and admin host names', () => {
    const result = validate({
      limits: { discovery: { maxConnections: 0, idleTimeout: 'soon' }, xds: { maxStreams: 5 } },
      admin: { allowedHosts: ['http://sextant.internal:15000'] },
      adapters: [{ type: 'file', path: 'x.yaml' }],
    });
    expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
      'limits.discovery.maxConnections: must be >= 1 (0)',
      'limits.discovery.idleTimeout: not a duration of at most 576h (write it like 100ms, 1s, 5m or 1m30s) ("soon")',
      'limits.xds.maxStreams: unknown field (expected one of: maxConnections, maxStreamsPerConnection, idleTimeout, maxConnectionAge, maxConnectionAgeGrace, maxNamesPerType, maxUnservedTypes, maxResponsesInFlight)',
      'admin.allowedHosts[0]: "http://sextant.internal:15000" is not a host name (no port, no scheme), e.g. sextant.internal',
    ]);
  });

  it('refuses durations longer than a timer can wait (they would fire at once)', () => {
    const result = validate({
      debounce: { after: '99999999999999999999h', max: '577h' },
      limits: { discovery: { idleTimeout: '576h' } },
      adapters: [{ type: 'file', path: 'x.yaml' }],
    });
    expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
      'debounce.after: not a duration of at most 576h (write it like 100ms, 1s, 5m or 1m30s) ("99999999999999999999h")',
      'debounce.max: not a duration of at most 576h (write it like 100ms, 1s, 5m or 1m30s) ("577h")',
    ]);
  });

  it('names file, line, column, field path and what was expected', () => {
    const text = [
      'listen:',
      '  discovery: nowhere',
      '  admn: 127.0.0.1:1',
      'debounce: { after: 10 }',
      'adapters: []',
      '',
    ].join('\n');
    const doc = SourceDocument.parse(text, 'sextant.yaml');
    const result = validate(doc.value, { document: doc });
    expect(result.valid).toBe(false);
    const lines = result.valid ? [] : result.problems.map(formatProblem);
    expect(lines).toEqual(
      expect.arrayContaining([
        'sextant.yaml:2:14: listen.discovery: not host:port (e.g. 127.0.0.1:15003 or [::1]:15003) ("nowhere")',
        'sextant.yaml:3:3: listen.admn: unknown field (did you mean "admin"?)',
        'sextant.yaml:4:20: debounce.after: expected string, got number (10)',
        'sextant.yaml:5:11: adapters: must have at least 1 item(s)',
      ]),
    );
  });

  it('says what a pattern means when the schema describes it, and shows the regex otherwise', () => {
    const named = validate({ adapters: [{ name: 'My Adapter', type: 'file' }] });
    expect(named.valid ? [] : named.problems.map(formatProblem)).toEqual([
      'adapters[0].name: "My Adapter" is not a name of lower-case letters, digits, ".", "_" and "-" that starts and ends with a letter or digit',
    ]);
    const bare = compileValidator({ type: 'string', pattern: '^v[0-9]+$' })('version-2');
    expect(bare.valid ? [] : bare.problems.map(formatProblem)).toEqual([
      '"version-2" does not match the pattern ^v[0-9]+$',
    ]);
  });

  it('reports the first YAML syntax error, with a hint for ${VAR} in a flow collection', () => {
    let error: ConfigError | undefined;
    try {
      SourceDocument.parse('listen: { discovery: ${ADDR}, admin: x }\n', 'flow.yaml');
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toHaveLength(1);
    expect(error?.problems[0]).toMatchObject({ file: 'flow.yaml', line: 1 });
    expect(error?.problems[0]?.message).toMatch(/quote a value that uses \$\{VAR\}.*further syntax error/);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => SourceDocument.parse('a: [1, 2\nb: 3\n', 'bad.yaml')).toThrow(ConfigError);
    try {
      SourceDocument.parse('a: 1\na: 2\n', 'dup.yaml');
    } catch (error) {
      expect((error as ConfigError).problems[0]).toMatchObject({ file: 'dup.yaml', line: 2 });
    }
    expect.assertions(2);
  });
});

describe('adapter factories', () => {
  const good = {
    apiVersion: 1 as const,
    type: 'demo',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      properties: {
        address: { type: 'string', format: 'http-url' },
        wait: { type: 'string', format: 'duration', default: '5m' },
      },
    },
    create: () => ({ run: async () => undefined }),
  };

  it('accepts a factory, also as a default export', () => {
    expect(checkAdapterFactory(good, 'demo')).toBe(good);
    expect(checkAdapterFactory({ default: good }, 'demo')).toBe(good);
  });

  it('refuses a factory of another contract version, naming the adapter and what was expected', () => {
    expect(() => checkAdapterFactory({ ...good, apiVersion: 2 }, '@acme/eureka')).toThrow(AdapterLoadError);
    expect(() => checkAdapterFactory({ ...good, apiVersion: 2 }, '@acme/eureka')).toThrow(
      'adapter "@acme/eureka": apiVersion: expected 1 (the adapter contract this sextant speaks), got 2',
    );
    expect(() => checkAdapterFactory({ type: 'x' }, 'x')).toThrow(
      /optionsSchema: expected a JSON Schema object.*create: expected a function/,
    );
    expect(() => checkAdapterFactory(undefined, 'x')).toThrow('does not export an adapter factory');
    expect(() => checkAdapterFactory({ ...good, check: true, offlineState: 'file' }, 'x')).toThrow(
      /check: expected a function.*offlineState: expected a function/,
    );
    expect(() => checkAdapterFactory({ ...good, optionsValidators: { every: () => true } }, 'x')).toThrow(
      'optionsValidators: expected precompiled validators ({ every, first })',
    );
  });

  it("validates options with the factory's precompiled validators when it has them", () => {
    const seen: unknown[] = [];
    const every = Object.assign((value: unknown) => (seen.push(value), false), {
      errors: [
        { instancePath: '/address', schemaPath: '#/x', keyword: 'x', params: {}, message: 'refused ahead' },
      ],
    });
    const validators = { every, first: every } as unknown as PrecompiledValidators;
    const factory = { ...good, optionsValidators: validators };
    const problems = validateAdapterOptions(factory, { address: 'http://consul:8500' });
    expect(seen).toEqual([{ address: 'http://consul:8500' }]);
    expect(problems.map(formatProblem)).toEqual(['address: refused ahead']);
  });

  it('validates options, naming the option path and applying defaults', () => {
    const options: Record<string, unknown> = { address: 'http://consul:8500' };
    expect(validateAdapterOptions(good, options)).toEqual([]);
    expect(options.wait).toBe('5m');
    const problems = validateAdapterOptions(
      good,
      { address: 'consul:8500', extra: 1 },
      { at: ['adapters', 0] },
    );
    expect(problems.map(formatProblem)).toEqual([
      'adapters[0].extra: unknown field (expected one of: address, wait)',
      'adapters[0].address: not an http:// or https:// URL ("consul:8500")',
    ]);
  });
});
