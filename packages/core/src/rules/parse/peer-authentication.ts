import { showValue } from '../../schema/show-value';
import type { PeerAuthenticationRule, PeerMtlsMode } from '../model';
import { Fields, type MessageSpec } from './fields';
import { readLabels } from './labels';
import type { RuleContext } from './rule-context';

/**
 * The namespace whose PeerAuthentications without a selector are mesh-wide: Istio's default root
 * namespace (`meshConfig.rootNamespace`), so resources written for Istio keep their meaning.
 */
export const DEFAULT_MESH_ROOT_NAMESPACE = 'istio-system';

const PEER_AUTHENTICATION: MessageSpec = { known: ['selector', 'mtls', 'portLevelMtls'] };
const SELECTOR: MessageSpec = { known: ['matchLabels'] };
const MUTUAL_TLS: MessageSpec = { known: ['mode'] };
const MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;

/** A PeerAuthentication's spec (security.istio.io v1, v1beta1), validated as Istio does. */
export function readPeerAuthentication(ctx: RuleContext, spec: unknown): PeerAuthenticationRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], PEER_AUTHENTICATION);
  if (!fields) return undefined;
  const selectorFields = fields.message('selector', SELECTOR);
  const selector = selectorFields && readLabels(selectorFields, 'matchLabels');
  const selects = selector !== undefined && Object.keys(selector).length > 0;
  const mode = readMode(fields, 'mtls');
  const portLevel: PeerAuthenticationRule['portLevel'][number][] = [];
  if (fields.has('portLevelMtls')) {
    // Istio: a port belongs to a workload, so only a PeerAuthentication that selects one may name ports.
    if (!selects) {
      ctx.error(
        fields.at('portLevelMtls'),
        'missing-field',
        'portLevelMtls needs a selector with matchLabels: ports belong to workloads',
        { atKey: true },
      );
    }
    for (const entry of fields.map('portLevelMtls')) {
      const port = /^\d{1,5}$/.test(entry.key) ? Number(entry.key) : Number.NaN;
      if (!(port >= 1 && port <= 65535)) {
        ctx.error(entry.path, 'invalid-value', `${showValue(entry.key)} is not a port (1-65535)`, {
          atKey: true,
        });
        continue;
      }
      const tls = Fields.read(ctx, entry.value, entry.path, MUTUAL_TLS);
      const portMode = tls && readModeField(tls);
      portLevel.push({ port, ...(portMode && { mode: portMode }) });
    }
    portLevel.sort((a, b) => a.port - b.port);
  }
  return {
    kind: 'PeerAuthentication',
    identity: ctx.identity,
    ...(selects && { selector }),
    ...(mode && { mode }),
    portLevel,
    language: 'istio',
  };
}

function readMode(parent: Fields, name: string): PeerMtlsMode | undefined {
  const fields = parent.message(name, MUTUAL_TLS);
  return fields && readModeField(fields);
}

/** `mode`; UNSET (or absent) inherits, so it is undefined in the model. */
function readModeField(fields: Fields): PeerMtlsMode | undefined {
  const mode = fields.oneOf('mode', MODES, 'mTLS mode');
  return mode === undefined || mode === 'UNSET' ? undefined : mode;
}
