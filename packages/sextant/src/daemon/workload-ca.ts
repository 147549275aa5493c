import path from 'node:path';
import { durationMs, type CaConfig } from '@sextant/core';
import { CertificateAuthority, loadCaMaterial, type CaSource } from '@sextant/server';
import type { LoadedConfig } from '../config/load-config';

/**
 * The CA `ca:` configures, its certificate and key read (or its root generated, on the first
 * start); undefined without `ca:`. Rejects with a CaSetupError naming the setting and file.
 */
export async function loadWorkloadCa(loaded: LoadedConfig): Promise<CertificateAuthority | undefined> {
  const ca = loaded.config.ca;
  if (ca === undefined) return undefined;
  const material = await loadCaMaterial(caSource(ca, loaded.baseDir), ca.trustDomain);
  const ttl = durationMs(ca.workloadCertTTL);
  return new CertificateAuthority(material, {
    trustDomain: ca.trustDomain,
    workloadCertTtlMs: ttl,
    maxWorkloadCertTtlMs: ca.maxWorkloadCertTTL === undefined ? ttl : durationMs(ca.maxWorkloadCertTTL),
  });
}

function caSource(ca: CaConfig, baseDir: string): CaSource {
  const resolve = (file: string) => path.resolve(baseDir, file);
  if (ca.certFile !== undefined && ca.keyFile !== undefined) {
    return {
      kind: 'files',
      certFile: resolve(ca.certFile),
      keyFile: resolve(ca.keyFile),
      ...(ca.chainFile !== undefined && { chainFile: resolve(ca.chainFile) }),
    };
  }
  // The config checks left no other case.
  return { kind: 'directory', directory: resolve(ca.directory ?? '.') };
}
