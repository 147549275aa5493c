import { ServiceSelection } from '../src';

describe('ServiceSelection', () => {
  it('selects services by name globs and by the union of their tags', () => {
    const selection = new ServiceSelection({
      include: ['web*', 'api'],
      exclude: ['web-internal'],
      includeTags: ['mesh'],
    });
    expect(selection.wantsService('web-1', ['mesh'])).toBe(true);
    expect(selection.wantsService('web-internal', ['mesh'])).toBe(false);
    expect(selection.wantsService('api', ['other'])).toBe(false);
    expect(selection.wantsService('apis', ['mesh'])).toBe(false);
    expect(new ServiceSelection({ include: ['we?'] }).wantsService('web', [])).toBe(true);
    expect(new ServiceSelection({ include: ['a.c'] }).wantsService('abc', [])).toBe(false);
    expect(new ServiceSelection().wantsService('anything', [])).toBe(true);
  });

  it('selects instances by their own tags: one included tag needed, any excluded tag rules out', () => {
    const selection = new ServiceSelection({ includeTags: ['mesh*'], excludeTags: ['canary'] });
    expect(selection.wantsInstance(['mesh-v2', 'blue'])).toBe(true);
    expect(selection.wantsInstance(['blue'])).toBe(false);
    expect(selection.wantsInstance(['mesh', 'canary'])).toBe(false);
    expect(selection.wantsInstance([])).toBe(false);
    expect(new ServiceSelection().wantsInstance([])).toBe(true);
    expect(new ServiceSelection({ excludeTags: ['old'] }).wantsInstance(['new'])).toBe(true);
  });

  it('takes given lists literally: an empty include selects nothing', () => {
    expect(new ServiceSelection({ include: [] }).wantsService('web', [])).toBe(false);
    expect(new ServiceSelection({ includeTags: [] }).wantsService('web', ['mesh'])).toBe(false);
    expect(new ServiceSelection({ includeTags: [] }).wantsInstance(['mesh'])).toBe(false);
  });

  it('applies the platform’s default exclude unless the option gives one, which replaces it', () => {
    const defaults = { exclude: ['consul'] };
    expect(new ServiceSelection({}, defaults).wantsService('consul', [])).toBe(false);
    expect(new ServiceSelection({}, defaults).wantsService('web', [])).toBe(true);
    expect(new ServiceSelection({ exclude: [] }, defaults).wantsService('consul', [])).toBe(true);
    const own = new ServiceSelection({ exclude: ['*-sidecar-proxy'] }, defaults);
    expect(own.wantsService('consul', [])).toBe(true);
    expect(own.wantsService('web-sidecar-proxy', [])).toBe(false);
  });
});
