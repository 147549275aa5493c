import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * Istio's CA API (istio.io/api security/v1alpha1/ca.proto, package `istio.v1.auth`), which
 * istio-agent, ztunnel and `sextant agent` call. Described here rather than loaded from a .proto
 * file so that a single-file build needs no file on disk. `metadata` (a google.protobuf.Struct)
 * is kept as bytes: Sextant reads nothing from it, and bytes decode whatever a client put there.
 */
const ROOT = protobuf.Root.fromJSON({
  nested: {
    istio: {
      nested: {
        v1: {
          nested: {
            auth: {
              nested: {
                IstioCertificateRequest: {
                  fields: {
                    csr: { type: 'string', id: 1 },
                    validity_duration: { type: 'int64', id: 3 },
                    metadata: { type: 'bytes', id: 4 },
                  },
                },
                IstioCertificateResponse: {
                  fields: { cert_chain: { rule: 'repeated', type: 'string', id: 200 } },
                },
              },
            },
          },
        },
      },
    },
  },
});

const REQUEST = ROOT.lookupType('istio.v1.auth.IstioCertificateRequest');
const RESPONSE = ROOT.lookupType('istio.v1.auth.IstioCertificateResponse');

export const CREATE_CERTIFICATE_PATH = '/istio.v1.auth.IstioCertificateService/CreateCertificate';

export interface IstioCertificateRequest {
  readonly csr: string;
  /** Seconds; 0 when the client asks for no particular validity. */
  readonly validityDurationSeconds: number;
}

/** A request as the server reads it: what the client sent, or why its bytes are no request. */
export type DecodedRequest =
  | { readonly ok: true; readonly request: IstioCertificateRequest }
  | { readonly ok: false; readonly reason: string };

export interface IstioCertificateResponse {
  readonly certChain: readonly string[];
}

export function encodeCertificateRequest(request: IstioCertificateRequest): Buffer {
  return Buffer.from(
    REQUEST.encode(
      REQUEST.fromObject({ csr: request.csr, validity_duration: request.validityDurationSeconds }),
    ).finish(),
  );
}

/** Never throws: grpc-js would answer a throwing deserializer with INTERNAL, and the fault is the client's. */
export function decodeCertificateRequest(bytes: Buffer): DecodedRequest {
  try {
    const message = REQUEST.toObject(REQUEST.decode(bytes), { longs: Number, defaults: true }) as {
      csr: string;
      validity_duration: number;
    };
    return { ok: true, request: { csr: message.csr, validityDurationSeconds: message.validity_duration } };
  } catch (error) {
    return { ok: false, reason: `the request is no IstioCertificateRequest: ${(error as Error).message}` };
  }
}

export function encodeCertificateResponse(response: IstioCertificateResponse): Buffer {
  return Buffer.from(RESPONSE.encode(RESPONSE.fromObject({ cert_chain: response.certChain })).finish());
}

export function decodeCertificateResponse(bytes: Buffer): IstioCertificateResponse {
  const message = RESPONSE.toObject(RESPONSE.decode(bytes), { defaults: true }) as { cert_chain: string[] };
  return { certChain: message.cert_chain };
}

/** The service as grpc-js serves it (unary CreateCertificate). */
export const ISTIO_CERTIFICATE_SERVICE: ServiceDefinition = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: DecodedRequest) =>
      value.ok ? encodeCertificateRequest(value.request) : Buffer.alloc(0),
    requestDeserialize: decodeCertificateRequest,
    responseSerialize: encodeCertificateResponse,
    responseDeserialize: decodeCertificateResponse,
  },
};
