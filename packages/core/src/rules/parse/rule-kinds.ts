import { showValue } from '../../schema/show-value';

/** Istio's networking API: its three served versions share one schema. */
export const NETWORKING_GROUP = 'networking.istio.io';
export const NETWORKING_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;
/** Pilot's legacy Rules API: samples carry v1alpha1, v1alpha2 and v1beta1, so any version is read. */
export const LEGACY_GROUP = 'config.istio.io';

/** Istio's security API: PeerAuthentication, as served in v1 and v1beta1. */
export const SECURITY_GROUP = 'security.istio.io';
export const SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;
/** Kubernetes Gateway API: v1 and v1beta1 serve HTTPRoute with one schema. */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_VERSIONS = ['v1', 'v1beta1'] as const;

export const NETWORKING_KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry'] as const;
export const SECURITY_KINDS = ['PeerAuthentication'] as const;
export const LEGACY_KINDS = ['RouteRule', 'DestinationPolicy', 'EgressRule'] as const;
export const GATEWAY_KINDS = ['HTTPRoute'] as const;

export type NetworkingKind = (typeof NETWORKING_KINDS)[number];
export type SecurityKind = (typeof SECURITY_KINDS)[number];
export type LegacyKind = (typeof LEGACY_KINDS)[number];
export type GatewayKind = (typeof GATEWAY_KINDS)[number];
export type SupportedKind = NetworkingKind | SecurityKind | LegacyKind | GatewayKind;

export type KindReading = { readonly kind: SupportedKind } | { readonly problem: string };

const SUPPORTED =
  `Sextant reads ${NETWORKING_KINDS.join(', ')} (${NETWORKING_GROUP}/${NETWORKING_VERSIONS.join(', ')}), ` +
  `${SECURITY_KINDS.join(', ')} (${SECURITY_GROUP}/${SECURITY_VERSIONS.join(', ')}), ` +
  `${LEGACY_KINDS.join(', ')} (${LEGACY_GROUP}, any version) ` +
  `and ${GATEWAY_KINDS.join(', ')} (${GATEWAY_GROUP}/${GATEWAY_VERSIONS.join(', ')})`;

/** The kind a resource is, when Sextant reads it under that apiVersion; otherwise why not. */
export function readKind(apiVersion: string, kind: string): KindReading {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  if ((NETWORKING_KINDS as readonly string[]).includes(kind)) {
    if (group === NETWORKING_GROUP && (NETWORKING_VERSIONS as readonly string[]).includes(version)) {
      return { kind: kind as NetworkingKind };
    }
    return {
      problem: `${kind} is ${NETWORKING_GROUP}/${NETWORKING_VERSIONS.join(', ')}, not ${showValue(apiVersion)}`,
    };
  }
  if ((SECURITY_KINDS as readonly string[]).includes(kind)) {
    if (group === SECURITY_GROUP && (SECURITY_VERSIONS as readonly string[]).includes(version)) {
      return { kind: kind as SecurityKind };
    }
    return {
      problem: `${kind} is ${SECURITY_GROUP}/${SECURITY_VERSIONS.join(', ')}, not ${showValue(apiVersion)}`,
    };
  }
  if ((LEGACY_KINDS as readonly string[]).includes(kind)) {
    if (group === LEGACY_GROUP && version !== '') return { kind: kind as LegacyKind };
    return { problem: `${kind} is ${LEGACY_GROUP}/<version>, not ${showValue(apiVersion)}` };
  }
  if ((GATEWAY_KINDS as readonly string[]).includes(kind)) {
    if (group === GATEWAY_GROUP && (GATEWAY_VERSIONS as readonly string[]).includes(version)) {
      return { kind: kind as GatewayKind };
    }
    return {
      problem: `${kind} is ${GATEWAY_GROUP}/${GATEWAY_VERSIONS.join(', ')}, not ${showValue(apiVersion)}`,
    };
  }
  return { problem: `unknown kind ${showValue(kind)}: ${SUPPORTED}` };
}
