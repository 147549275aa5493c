import { describe, expect, it } from '@jest/globals';
import { envoyProtos } from '@sextant/envoy';
import { XDS_METHODS } from '../src/xds/wire';

// The server registers these methods without reading Envoy's descriptor (start-up leaves that to
// the first request), so a method renamed or mistyped here would only show as UNIMPLEMENTED.
describe('the xDS methods served', () => {
  it.each(XDS_METHODS.map((m) => [`${m.service}/${m.method}`, m] as const))(
    '%s is a bidirectional stream of the discovery messages in Envoy’s descriptor',
    (_, m) => {
      const rpc = envoyProtos().root.lookupService(m.service).methods[m.method];
      expect(rpc).toBeDefined();
      expect([rpc?.requestStream, rpc?.responseStream]).toEqual([true, true]);
      const messages = m.protocol === 'sotw' ? 'DiscoveryRequest' : 'DeltaDiscoveryRequest';
      rpc?.resolve();
      expect(rpc?.resolvedRequestType?.fullName).toBe(`.envoy.service.discovery.v3.${messages}`);
    },
  );
});
