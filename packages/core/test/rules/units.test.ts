import {
  goDurationNanos,
  hostCovers,
  MAX_REGEX_LENGTH,
  re2Problem,
  readDuration,
  resolveHost,
  RULE_PROBLEM_CODES,
} from '../../src';
import { hostProblem } from '../../src/rules/parse/names';
import { jsonName } from '../../src/rules/parse/fields';

describe('durations as Istio reads them (Go time.ParseDuration, ≥ 1 ms, whole ms)', () => {
  it('reads Go durations and protobuf JSON durations', () => {
    expect(readDuration('500ms')).toEqual({ ms: 500 });
    expect(readDuration('7s')).toEqual({ ms: 7000 });
    expect(readDuration('1m30s')).toEqual({ ms: 90_000 });
    expect(readDuration('1h')).toEqual({ ms: 3_600_000 });
    expect(readDuration('0.5s')).toEqual({ ms: 500 });
    expect(readDuration('.25s')).toEqual({ ms: 250 });
    expect(readDuration('180.000s')).toEqual({ ms: 180_000 });
    expect(readDuration('2000us')).toEqual({ ms: 2 });
    expect(readDuration('1000000ns')).toEqual({ ms: 1 });
    expect(readDuration('1µs', 'allowed')).toEqual({ problem: 'duration must be at least 1ms' });
  });

  it('refuses what is not a duration, under 1 ms, finer than 1 ms, or negative; 0 only where allowed', () => {
    expect(readDuration('500')).toEqual({ problem: expect.stringContaining('not a duration') });
    expect(readDuration('5 s')).toEqual({ problem: expect.stringContaining('not a duration') });
    expect(readDuration('s')).toEqual({ problem: expect.stringContaining('not a duration') });
    expect(readDuration('1d')).toEqual({ problem: expect.stringContaining('not a duration') });
    expect(readDuration('999us')).toEqual({ problem: 'duration must be at least 1ms' });
    expect(readDuration('1.5ms')).toEqual({ problem: 'only durations to ms precision are supported' });
    expect(readDuration('-1s')).toEqual({ problem: 'a duration cannot be negative' });
    expect(readDuration('0s')).toEqual({ problem: 'duration must be at least 1ms' });
    expect(readDuration('0', 'allowed')).toEqual({ ms: 0 });
    expect(readDuration('0s', 'allowed')).toEqual({ ms: 0 });
  });

  it('stays exact and bounded: int64 nanoseconds at most, long texts refused', () => {
    expect(goDurationNanos('2562047h47m16.854775807s')).toBe(2n ** 63n - 1n);
    expect(goDurationNanos('2562048h')).toBeUndefined();
    expect(goDurationNanos('1.0000000001s')).toBe(1_000_000_000n);
    expect(goDurationNanos(`${'1'.repeat(100)}s`)).toBeUndefined();
  });
});

describe('hosts', () => {
  it('short names resolve in the rule namespace; names with a dot, *, and IPs are used as written', () => {
    expect(resolveHost('reviews', 'shop')).toBe('reviews.shop.svc.cluster.local');
    expect(resolveHost('Reviews', 'shop')).toBe('reviews.shop.svc.cluster.local');
    expect(resolveHost('reviews.other', 'shop')).toBe('reviews.other');
    expect(resolveHost('web.service.consul', 'shop')).toBe('web.service.consul');
    expect(resolveHost('*', 'shop')).toBe('*');
    expect(resolveHost('*.example.com', 'shop')).toBe('*.example.com');
    expect(resolveHost('10.0.0.1', 'shop')).toBe('10.0.0.1');
    expect(resolveHost('fd00::1', 'shop')).toBe('fd00::1');
  });

  it('validates as Istio ValidateWildcardDomain does', () => {
    for (const host of [
      'reviews',
      'a.b.example.com',
      '*',
      '*.example.com',
      '*-canary.example.com',
      '*canary.example.com',
      'UPPER.example.com',
    ]) {
      expect([host, hostProblem(host)]).toEqual([host, undefined]);
    }
    for (const host of [
      '',
      'a*.example.com',
      'a.*.example.com',
      '-a.example.com',
      'a..b',
      'a.b.',
      'x.123',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(128)}com`,
    ]) {
      expect([host, hostProblem(host)]).toEqual([host, expect.any(String)]);
    }
    expect(hostProblem('10.0.0.1')).toEqual(expect.any(String));
    expect(hostProblem('10.0.0.1', 'allowed')).toBeUndefined();
  });

  it('a wildcard covers hosts below it, never the bare domain', () => {
    expect(hostCovers('*.example.com', 'api.example.com')).toBe(true);
    expect(hostCovers('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostCovers('*.example.com', 'example.com')).toBe(false);
    expect(hostCovers('*-canary.example.com', 'web-canary.example.com')).toBe(true);
    expect(hostCovers('*.example.com', '*.api.example.com')).toBe(true);
    expect(hostCovers('*.api.example.com', '*.example.com')).toBe(false);
    expect(hostCovers('*', 'anything.at.all')).toBe(true);
    expect(hostCovers('api.example.com', 'api.example.com')).toBe(true);
    expect(hostCovers('api.example.com', 'web.example.com')).toBe(false);
  });
});

describe('RE2 regexes', () => {
  it('compiles RE2 syntax (as Go and Envoy read it) and refuses the rest', () => {
    expect(re2Problem('^(.*?;)?(user=jason)(;.*)?$')).toBeUndefined();
    expect(re2Problem('(?i)^/api/v[0-9]+/.*')).toBeUndefined();
    expect(re2Problem('(?P<id>\\d+)')).toBeUndefined();
    expect(re2Problem('(a)\\1')).toMatch(/^not a valid RE2 regex: .*invalid escape sequence/);
    expect(re2Problem('(?<=x)y')).toMatch(/^not a valid RE2 regex/);
    expect(re2Problem('a{1001}')).toMatch(/invalid repeat count/);
    expect(re2Problem('a'.repeat(MAX_REGEX_LENGTH))).toBeUndefined();
    expect(re2Problem('a'.repeat(MAX_REGEX_LENGTH + 1))).toBe(
      'a regex has at most 1024 characters (this one has 1025)',
    );
  });
});

describe('field names and codes', () => {
  it('reads proto field names as their JSON names, as jsonpb does', () => {
    expect(jsonName('fixed_delay')).toBe('fixedDelay');
    expect(jsonName('consecutive_5xx_errors')).toBe('consecutive5xxErrors');
    expect(jsonName('http1_max_pending_requests')).toBe('http1MaxPendingRequests');
    expect(jsonName('fixedDelay')).toBe('fixedDelay');
  });

  it('every problem code is kebab-case and explained', () => {
    for (const [code, meaning] of Object.entries(RULE_PROBLEM_CODES)) {
      expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(meaning.length).toBeGreaterThan(10);
    }
  });
});
