import { silentLogger } from '@sextant/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { effectiveConfig, isCredentialName } from '../src/config/effective-config';
import { loadConfig } from '../src/config/load-config';

describe('the effective config shown on /debug/effective-config', () => {
  it('tells credential option names from others by their last word', () => {
    for (const name of ['token', 'apiKey', 'client_secret', 'password', 'basicAuth', 'key', 'bearer-token'])
      expect([name, isCredentialName(name)]).toEqual([name, true]);
    for (const name of ['tokenFile', 'keyFile', 'address', 'path', 'monkey', 'tokens_seen'])
      expect([name, isCredentialName(name)]).toEqual([name, false]);
  });

  it('redacts credential options, their values wherever else they appear, and passwords in URLs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-effective-'));
    try {
      const file = path.join(dir, 'sextant.yaml');
      fs.writeFileSync(
        file,
        `
adapters:
  - name: consul
    type: consul
    address: "https://ops:hunter2@consul.internal:8501/\${CONSUL_TOKEN}"
    token: \${CONSUL_TOKEN}
    tokenFile: /etc/sextant/consul-token
    tls: { ca: /etc/sextant/ca.pem, cert: /etc/sextant/cert.pem, key: /etc/sextant/key.pem }
`,
      );
      const loaded = await loadConfig(file, { env: { CONSUL_TOKEN: 's3cr3t-value' }, logger: silentLogger });
      const shown = effectiveConfig(loaded);
      const text = JSON.stringify(shown);
      expect(text).not.toContain('s3cr3t-value');
      expect(text).not.toContain('hunter2');
      expect((shown.adapters as Record<string, unknown>[])[0]).toEqual(
        expect.objectContaining({
          name: 'consul',
          type: 'consul',
          address: 'https://ops:<redacted>@consul.internal:8501/<redacted>',
          token: '<redacted>',
          tokenFile: '/etc/sextant/consul-token',
          tls: { ca: '/etc/sextant/ca.pem', cert: '/etc/sextant/cert.pem', key: '<redacted>' },
        }),
      );
      expect(shown).toMatchObject({ debounce: { after: '100ms', max: '1s' }, log: { level: 'info' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
