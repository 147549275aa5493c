import { anyMatches, Glob } from '../src';

describe('Glob', () => {
  it('matches * as any run of characters and ? as exactly one, anchored at both ends', () => {
    expect(new Glob('web*').matches('web')).toBe(true);
    expect(new Glob('web*').matches('web-1')).toBe(true);
    expect(new Glob('web*').matches('my-web')).toBe(false);
    expect(new Glob('*-sidecar-proxy').matches('web-sidecar-proxy')).toBe(true);
    expect(new Glob('api-?').matches('api-1')).toBe(true);
    expect(new Glob('api-?').matches('api-12')).toBe(false);
    expect(new Glob('api-?').matches('api-')).toBe(false);
    expect(new Glob('*').matches('')).toBe(true);
  });

  it('takes every other character literally', () => {
    expect(new Glob('a.c').matches('abc')).toBe(false);
    expect(new Glob('a.c').matches('a.c')).toBe(true);
    expect(new Glob('v(1)+[x]^$|{y}\\z/-').matches('v(1)+[x]^$|{y}\\z/-')).toBe(true);
    expect(new Glob('version=1.*').matches('version=1.2')).toBe(true);
    expect(new Glob('version=1.*').matches('version=102')).toBe(false);
  });

  it('matches line breaks with *, and keeps its source', () => {
    expect(new Glob('note*').matches('note:\nsecond line')).toBe(true);
    expect(new Glob('we?').source).toBe('we?');
  });

  it('anyMatches: whether one of a list matches; an empty list matches nothing', () => {
    const globs = ['web*', 'api'].map((g) => new Glob(g));
    expect(anyMatches(globs, 'web-2')).toBe(true);
    expect(anyMatches(globs, 'api')).toBe(true);
    expect(anyMatches(globs, 'apis')).toBe(false);
    expect(anyMatches([], 'anything')).toBe(false);
  });
});
