import { Histogram, Registry } from 'prom-client';
import { Convergence } from '../src/xds/convergence';

function setup() {
  let now = 1_000_000;
  const registry = new Registry();
  const histogram = new Histogram({ name: 'c', help: 'c', buckets: [0.5, 1, 5], registers: [registry] });
  const convergence = new Convergence<{ name: string }>(histogram, () => now);
  const samples = async () => (await histogram.get()).values.find((v) => v.metricName === 'c_count')?.value;
  return { convergence, samples, advance: (ms: number) => (now += ms), at: () => now };
}

describe('convergence rounds', () => {
  it('observes a round once every subscriber it concerns has settled, from when the change arrived', async () => {
    const { convergence, samples, advance, at } = setup();
    const a = { name: 'a' };
    const b = { name: 'b' };
    convergence.start(at() - 200, [a, b]);
    advance(300);
    convergence.settle(a);
    expect(await samples()).toBe(0);
    convergence.settle(b);
    expect(await samples()).toBe(1);
    // Settling again observes nothing more.
    convergence.settle(b);
    expect(await samples()).toBe(1);
  });

  it('gives up rounds a subscriber that never settles holds back, keeping at most 64 of them', async () => {
    const { convergence, samples, at } = setup();
    const rejecting = { name: 'rejecting' };
    for (let i = 0; i < 1000; i += 1) convergence.start(at(), [rejecting, { name: `other-${i}` }]);
    expect(await samples()).toBe(0);
    expect(convergence.heldBy(rejecting)).toBeLessThanOrEqual(64);
    convergence.settle(rejecting);
    expect(convergence.holds(rejecting)).toBe(false);
  });
});
