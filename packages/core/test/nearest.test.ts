import { nearest } from '../src';

describe('nearest (did-you-mean hints)', () => {
  it('suggests the candidate a typo most likely meant', () => {
    expect(nearest('admn', ['discovery', 'admin', 'xds'])).toBe('admin');
    expect(nearest('pollIntervall', ['path', 'pollInterval', 'format'])).toBe('pollInterval');
    expect(nearest('Debounce', ['debounce', 'listen'])).toBe('debounce');
    expect(nearest('valdiate', ['run', 'validate', 'status'])).toBe('validate');
    // A swap of neighbouring letters is one edit.
    expect(nearest('sepc', ['apiVersion', 'kind', 'metadata', 'spec'])).toBe('spec');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(nearest('bogus', ['discovery', 'admin', 'xds'])).toBeUndefined();
    expect(nearest('x', ['xds'])).toBeUndefined();
    expect(nearest('anything', [])).toBeUndefined();
  });
});
