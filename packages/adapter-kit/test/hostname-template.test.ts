import { HostnameTemplate } from '../src';

describe('HostnameTemplate', () => {
  it('replaces every placeholder it is given a value for', () => {
    expect(
      new HostnameTemplate('{service}.{namespace}.nomad').render({ service: 'web', namespace: 'default' }),
    ).toBe('web.default.nomad');
    expect(
      new HostnameTemplate('{service}-{service}.{namespace}').render({ service: 'a', namespace: 'b' }),
    ).toBe('a-a.b');
    expect(new HostnameTemplate('{service}.service.{dc}.consul').render({ service: 'web', dc: 'dc1' })).toBe(
      'web.service.dc1.consul',
    );
  });

  it('substitutes in one pass: a value that looks like a placeholder stays as it is', () => {
    expect(new HostnameTemplate('{service}.{dc}').render({ service: 'x{dc}', dc: 'dc1' })).toBe('x{dc}.dc1');
  });

  it('leaves placeholders it has no value for, and keeps its template', () => {
    const template = new HostnameTemplate('{service}.{region}');
    expect(template.render({ service: 'web' })).toBe('web.{region}');
    expect(template.template).toBe('{service}.{region}');
    // Only the values' own names count, not what every object inherits.
    expect(new HostnameTemplate('{service}.{constructor}').render({ service: 'web' })).toBe(
      'web.{constructor}',
    );
  });
});
