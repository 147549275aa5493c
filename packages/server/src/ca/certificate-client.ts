import { Client, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  CREATE_CERTIFICATE_PATH,
  decodeCertificateResponse,
  encodeCertificateRequest,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from './istio-ca-wire';

export interface CertificateRequestOptions {
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly deadlineMs: number;
}

/** A client of Istio's CA API (Sextant's or istiod's): one CreateCertificate call at a time. */
export class CertificateClient {
  private readonly client: Client;

  constructor(address: string, credentials: ChannelCredentials) {
    this.client = new Client(address, credentials, { 'grpc.enable_channelz': 0 });
  }

  /** Resolves with the chain (leaf first); rejects with the gRPC ServiceError. */
  createCertificate(
    request: IstioCertificateRequest,
    options: CertificateRequestOptions,
  ): Promise<IstioCertificateResponse> {
    const metadata = new Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        CREATE_CERTIFICATE_PATH,
        encodeCertificateRequest,
        decodeCertificateResponse,
        request,
        metadata,
        { deadline: Date.now() + options.deadlineMs },
        (error: ServiceError | null, response?: IstioCertificateResponse) => {
          if (error || response === undefined) reject(error ?? new Error('no response'));
          else resolve(response);
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
