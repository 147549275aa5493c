import { distribution, pick, simulateV3, SimulationError, type SimOutcome } from '../src/routing';
import { oneRoute } from './support/route-tables';

const split = simulateV3(
  oneRoute(
    { prefix: '/' },
    {
      weighted_clusters: {
        clusters: [
          { name: 'a', weight: 70 },
          { name: 'b', weight: 20 },
          { name: 'a', weight: 10 },
        ],
      },
    },
  ),
  { authority: 'x', path: '/' },
);

describe('outcome helpers', () => {
  it('distribution: exact shares per cluster name, entries naming the same cluster added up', () => {
    expect(distribution(split)).toEqual({ a: 0.8, b: 0.2 });
  });

  it('pick: the cluster whose cumulative weight first exceeds random() × total', () => {
    expect(pick(split, () => 0).name).toBe('a');
    expect(pick(split, () => 0.699).name).toBe('a');
    expect(pick(split, () => 0.7).name).toBe('b');
    expect(pick(split, () => 0.9).name).toBe('a');
    expect(pick(split, () => 0.9999).weight).toBe(10);
    expect(() => pick(split, () => 1)).toThrow('outside [0, 1)');
  });

  it('pick, many times: the shares converge on the weights', () => {
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647; // Park-Miller: deterministic, so the bound below cannot flake
      return (seed - 1) / 2147483646;
    };
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i += 1) {
      const { name } = pick(split, random);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(Math.abs((counts.a ?? 0) / 10_000 - 0.8)).toBeLessThan(0.02);
  });

  it('both throw for an outcome that routes to no cluster, saying which', () => {
    const notRouted: SimOutcome = { kind: 'invalid', reasons: ['x: bad'] };
    expect(() => distribution(notRouted)).toThrow(SimulationError);
    expect(() => distribution(notRouted)).toThrow(
      'the request is not routed to clusters (outcome invalid: x: bad)',
    );
    expect(() => pick({ kind: 'no-virtual-host' })).toThrow('outcome no-virtual-host');
  });
});

describe('requests the simulator cannot take', () => {
  const table = oneRoute({ prefix: '/' });
  it.each([
    [{ authority: 1, path: '/' }, 'request.authority: expected a string'],
    [{ authority: 'x' }, 'request.path: expected a string'],
    [
      { authority: 'x', path: '/', headers: { ':authority': 'y' } },
      'request.headers.:authority: set pseudo-headers through authority, path, method and scheme',
    ],
    [
      { authority: 'x', path: '/', headers: { a: 1 } },
      'request.headers.a: expected a string or a list of strings',
    ],
  ])('%j', (request, message) => {
    expect(() => simulateV3(table, request as never)).toThrow(message);
  });
});
