import { RepeatedEvents } from '../src/repeated-events';

describe('RepeatedEvents', () => {
  it('admits the first event of a kind, counts its repeats within the window, and reports them after', () => {
    let now = 0;
    const events = new RepeatedEvents({ windowMs: 1000, now: () => now });
    expect(events.admit('nack a')).toBe(0);
    now = 10;
    expect(events.admit('nack a')).toBeUndefined();
    expect(events.admit('nack a')).toBeUndefined();
    expect(events.admit('nack b')).toBe(0);
    now = 999;
    expect(events.admit('nack a')).toBeUndefined();
    now = 1000;
    expect(events.admit('nack a')).toBe(3);
    now = 1500;
    expect(events.admit('nack a')).toBeUndefined();
    now = 2000;
    expect(events.admit('nack a')).toBe(1);
  });

  it('remembers a bounded number of kinds, forgetting the one logged longest ago', () => {
    let now = 0;
    const events = new RepeatedEvents({ windowMs: 1000, maxKinds: 2, now: () => now });
    expect(events.admit('a')).toBe(0);
    expect(events.admit('b')).toBe(0);
    expect(events.admit('a')).toBeUndefined();
    now = 1;
    expect(events.admit('c')).toBe(0);
    // 'a' was forgotten (its repeat count with it): admitted again as new.
    expect(events.admit('a')).toBe(0);
    // 'b' was forgotten in turn; 'c' is remembered.
    expect(events.admit('c')).toBeUndefined();
    for (let i = 0; i < 10_000; i += 1) events.admit(`kind ${i}`);
    expect(events.admit('kind 9999')).toBeUndefined();
    expect(events.admit('kind 0')).toBe(0);
  });
});
