import { X509Certificate as NodeCertificate } from 'node:crypto';
import {
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger as PinoLogger } from 'pino';
import { Counter, type Registry as PromRegistry } from 'prom-client';
import { leftOutFields, RepeatedEvents } from '../repeated-events';
import { spiffeIdentities, type SpiffeIdentity } from '../security/spiffe-id';
import { CsrError, type CertificateAuthority } from './certificate-authority';
import {
  ISTIO_CERTIFICATE_SERVICE,
  type DecodedRequest,
  type IstioCertificateResponse,
} from './istio-ca-wire';
import { isSignedWithKey, TokenRejected, verifyWorkloadToken } from './workload-token';

/**
 * Checks a bearer token that is not a Sextant workload token (a Kubernetes service-account
 * token): the identity it proves, or a TokenRejected.
 */
export type TokenReviewer = (token: string) => Promise<SpiffeIdentity>;

export interface CertificateServiceOptions {
  readonly logger: PinoLogger;
  readonly prometheus: PromRegistry;
  /** Checks tokens this CA did not sign; without one, only workload tokens are accepted. */
  readonly tokenReviewer?: TokenReviewer;
  readonly now?: () => number;
}

/** A grpc-js service to add to a server. */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

type Proof = { readonly identity: SpiffeIdentity; readonly method: 'certificate' | 'token' | 'kubernetes' };

class Refused extends Error {
  constructor(
    message: string,
    readonly code: status,
  ) {
    super(message);
  }
}

/**
 * Istio's CA API, `istio.v1.auth.IstioCertificateService/CreateCertificate`, served beside ADS.
 * The caller proves who it is, in this order: a client certificate this CA issued (renewal), a
 * workload token signed with the CA's key, a Kubernetes token (with a reviewer). It gets a
 * certificate for exactly that identity.
 */
export class CertificateService implements GrpcService {
  readonly definition = ISTIO_CERTIFICATE_SERVICE;
  readonly implementation: UntypedServiceImplementation;
  private readonly issued: Counter<'method'>;
  private readonly refused: Counter<'code'>;
  private readonly repeats: RepeatedEvents;
  private readonly now: () => number;
  private readonly logger: PinoLogger;

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly options: CertificateServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger.child({ component: 'ca' });
    this.repeats = new RepeatedEvents({ now: this.now });
    this.issued = new Counter({
      name: 'sextant_ca_certificates_issued_total',
      help: 'Workload certificates the CA issued, by how the caller proved its identity.',
      labelNames: ['method'],
      registers: [options.prometheus],
    });
    this.refused = new Counter({
      name: 'sextant_ca_requests_refused_total',
      help: 'CreateCertificate requests refused, by gRPC status.',
      labelNames: ['code'],
      registers: [options.prometheus],
    });
    this.implementation = {
      CreateCertificate: (
        call: ServerUnaryCall<DecodedRequest, IstioCertificateResponse>,
        callback: sendUnaryData<IstioCertificateResponse>,
      ) => {
        this.createCertificate(call).then(
          (response) => callback(null, response),
          (error: unknown) => callback(this.refusal(error, call)),
        );
      },
    };
  }

  private async createCertificate(
    call: ServerUnaryCall<DecodedRequest, IstioCertificateResponse>,
  ): Promise<IstioCertificateResponse> {
    const proof = await this.authenticate(call);
    if (proof.identity.trustDomain !== this.ca.trustDomain) {
      throw new Refused(
        `${proof.identity.uri} is not in trust domain ${this.ca.trustDomain}, the only one this CA issues for`,
        status.PERMISSION_DENIED,
      );
    }
    const decoded = call.request;
    if (!decoded.ok) throw new Refused(decoded.reason, status.INVALID_ARGUMENT);
    const issued = await this.ca.issue(
      decoded.request.csr,
      proof.identity,
      decoded.request.validityDurationSeconds,
    );
    this.issued.inc({ method: proof.method });
    this.logger.info(
      {
        identity: proof.identity.uri,
        proof: proof.method,
        serialNumber: issued.serialNumber,
        notAfter: issued.notAfter.toISOString(),
        peer: call.getPeer(),
      },
      'issued a workload certificate',
    );
    return { certChain: issued.chain };
  }

  private async authenticate(
    call: ServerUnaryCall<DecodedRequest, IstioCertificateResponse>,
  ): Promise<Proof> {
    const fromCertificate = this.certificateIdentity(call);
    if (fromCertificate !== undefined) return { identity: fromCertificate, method: 'certificate' };
    const values = call.metadata.get('authorization');
    if (values.length === 0) {
      throw new Refused(
        'no proof of identity: send "authorization: Bearer <token>" or a client certificate this CA issued',
        status.UNAUTHENTICATED,
      );
    }
    const match =
      values.length === 1 && typeof values[0] === 'string' ? /^Bearer +(\S+) *$/i.exec(values[0]) : null;
    if (!match)
      throw new Refused('the authorization metadata is not "Bearer <token>"', status.UNAUTHENTICATED);
    const token = match[1] ?? '';
    try {
      if (isSignedWithKey(token, this.ca.material) || this.options.tokenReviewer === undefined) {
        const identity = await verifyWorkloadToken(token, this.ca.material, this.ca.trustDomain, {
          now: this.now(),
        });
        return { identity, method: 'token' };
      }
      return { identity: await this.reviewed(this.options.tokenReviewer, token), method: 'kubernetes' };
    } catch (error) {
      if (error instanceof TokenRejected) {
        throw new Refused(
          error.message,
          error.code === 'permission-denied' ? status.PERMISSION_DENIED : status.UNAUTHENTICATED,
        );
      }
      throw error;
    }
  }

  /** A reviewer's identity; its failure to reach the platform is UNAVAILABLE (the client may retry), not a refusal. */
  private async reviewed(reviewer: TokenReviewer, token: string): Promise<SpiffeIdentity> {
    try {
      return await reviewer(token);
    } catch (error) {
      if (error instanceof TokenRejected) throw error;
      this.logger.warn({ err: { message: (error as Error)?.message } }, 'a token review failed');
      throw new Refused('the token cannot be reviewed now: try again later', status.UNAVAILABLE);
    }
  }

  /**
   * The identity of a client certificate this CA issued (grpc-js hands over only certificates
   * the handshake verified; the listener may trust other CAs too, so the signature is checked).
   */
  private certificateIdentity(
    call: ServerUnaryCall<DecodedRequest, IstioCertificateResponse>,
  ): SpiffeIdentity | undefined {
    const peer = call.getAuthContext().sslPeerCertificate;
    if (peer === undefined || peer.raw === undefined) return undefined;
    const identities = spiffeIdentities(peer);
    if (identities.length !== 1) return undefined;
    try {
      const certificate = new NodeCertificate(peer.raw);
      const now = this.now();
      if (Date.parse(certificate.validTo) <= now || Date.parse(certificate.validFrom) > now) return undefined;
      return certificate.verify(this.ca.material.publicKey) ? identities[0] : undefined;
    } catch {
      return undefined;
    }
  }

  private refusal(
    error: unknown,
    call: ServerUnaryCall<DecodedRequest, IstioCertificateResponse>,
  ): { code: status; details: string } {
    const refusal =
      error instanceof Refused
        ? { code: error.code, details: error.message }
        : error instanceof CsrError
          ? { code: status.INVALID_ARGUMENT, details: error.message }
          : undefined;
    if (refusal === undefined) {
      this.logger.error({ err: error }, 'issuing a workload certificate failed');
      this.refused.inc({ code: status[status.INTERNAL] });
      return { code: status.INTERNAL, details: 'the CA could not issue the certificate' };
    }
    this.refused.inc({ code: status[refusal.code] });
    const leftOut = this.repeats.admit(`${refusal.code} ${refusal.details}`);
    if (leftOut !== undefined) {
      this.logger.warn(
        { code: status[refusal.code], peer: call.getPeer(), ...leftOutFields(leftOut) },
        `refused a certificate request: ${refusal.details}`,
      );
    }
    return refusal;
  }
}
