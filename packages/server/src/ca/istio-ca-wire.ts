import type { ServiceDefinition } from '@grpc/grpc-js';
import { protobufjs } from '@sextant/envoy';
import type protobuf from 'protobufjs';

/**
 * Istio's CA API (istio.io/api security/v1alpha1/ca.proto, package `istio.v1.auth`), which
 * istio-agent, ztunnel and `sextant agent` call. Described here rather than loaded from a .proto
 * file so that a single-file build needs no file on disk. `metadata` (a google.protobuf.Struct)
 * is kept as bytes: Sextant reads nothing from it, and bytes decode whatever a client put there.
 */
let described: { readonly request: protobuf.Type; readonly response: protobuf.Type } | undefined;

/** The two messages, described on first use (protobufjs loads lazily). */
function messages(): NonNullable<typeof described> {
  described ??= describe();
  return described;
}

function describe(): NonNullable<typeof described> {
  const root = protobufjs().Root.fromJSON({
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
  return {
    request: root.lookupType('istio.v1.auth.IstioCertificateRequest'),
    response: root.lookupType('istio.v1.auth.IstioCertificateResponse'),
  };
}

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
  const { request: type } = messages();
  return Buffer.from(
    type
      .encode(type.fromObject({ csr: request.csr, validity_duration: request.validityDurationSeconds }))
      .finish(),
  );
}

/** Never throws: grpc-js would answer a throwing deserializer with INTERNAL, and the fault is the client's. */
export function decodeCertificateRequest(bytes: Buffer): DecodedRequest {
  try {
    const { request: type } = messages();
    const message = type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as {
      csr: string;
      validity_duration: number;
    };
    return { ok: true, request: { csr: message.csr, validityDurationSeconds: message.validity_duration } };
  } catch (error) {
    return { ok: false, reason: `the request is no IstioCertificateRequest: ${(error as Error).message}` };
  }
}

export function encodeCertificateResponse(response: IstioCertificateResponse): Buffer {
  const { response: type } = messages();
  return Buffer.from(type.encode(type.fromObject({ cert_chain: response.certChain })).finish());
}

export function decodeCertificateResponse(bytes: Buffer): IstioCertificateResponse {
  const { response: type } = messages();
  const message = type.toObject(type.decode(bytes), { defaults: true }) as { cert_chain: string[] };
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
