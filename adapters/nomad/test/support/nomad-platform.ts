import type { ConformancePlatform, ConformanceService } from '@sextant/testkit';
import { FakeNomad, type RegistrationInput } from '@sextant/testkit/nomad';
import type { NomadAdapterOptions } from '../../src';

/**
 * The conformance platform of the nomad adapter: a fake Nomad whose registrations are the suite's
 * services (one allocation per instance, in namespace `default`). Broken means the server is
 * gone: connections refused, held queries reset.
 */
export async function startNomadPlatform(): Promise<ConformancePlatform<NomadAdapterOptions>> {
  const nomad = await FakeNomad.start();
  return {
    // Quick retries, so recovery shows within the suite's time limit.
    options: () => ({ address: nomad.url, retry: { initial: '50ms', max: '250ms' } }),
    hostname: (name) => `${name}.default.nomad`,
    async setServices(services) {
      nomad.setRegistrations(services.flatMap(registrationsOf));
    },
    breakPlatform: () => nomad.shutDown(),
    repairPlatform: () => nomad.startUp(),
    close: () => nomad.close(),
  };
}

function registrationsOf(service: ConformanceService): RegistrationInput[] {
  return service.instances.map(({ address, port }) => ({
    ServiceName: service.name,
    Address: address,
    Port: port,
    // A stable allocation per instance, so an unchanged instance keeps its registration.
    AllocID: `${service.name}-${address}-${port}`,
  }));
}
