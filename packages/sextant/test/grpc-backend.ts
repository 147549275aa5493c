import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { ECHO_METHOD } from './xds-client-process';

const passThrough = (bytes: Buffer) => bytes;

export interface GrpcBackend {
  readonly name: string;
  readonly port: number;
  /** RPCs this backend received (answered or failed). */
  calls(): number;
  /** The subjectAltName of the client certificate of each RPC over mTLS (`URI:spiffe://…`), in order. */
  peerNames(): readonly string[];
  stop(): Promise<void>;
}

/** Decides whether a backend fails its n-th call (1-based), given the call's metadata. */
export type FailWhen = (call: number, metadata: Metadata) => { code: status; details: string } | undefined;

/**
 * Fails the first attempt of every RPC with UNAVAILABLE and answers its retries: grpc-js marks
 * a retry attempt with `grpc-previous-rpc-attempts`, so a client that does not retry sees every
 * RPC fail, and one that retries sees every RPC succeed at its second attempt.
 */
export const failFirstAttempt: FailWhen = (_call, metadata) =>
  metadata.get('grpc-previous-rpc-attempts').length === 0
    ? { code: status.UNAVAILABLE, details: 'the first attempt of every RPC fails' }
    : undefined;

/**
 * A real gRPC server on loopback answering ECHO_METHOD with its own name, or with the error
 * `fail` returns for a call when it returns one; plain text unless `credentials` say otherwise.
 */
export async function startGrpcBackend(
  name: string,
  fail?: FailWhen,
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<GrpcBackend> {
  let calls = 0;
  const peerNames: string[] = [];
  const server = new Server();
  server.addService(
    {
      Who: {
        path: ECHO_METHOD,
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    },
    {
      Who: (call: ServerUnaryCall<Buffer, Buffer>, reply: sendUnaryData<Buffer>) => {
        calls += 1;
        const peerName = call.getAuthContext().sslPeerCertificate?.subjectaltname;
        if (peerName !== undefined) peerNames.push(peerName);
        const error = fail?.(calls, call.metadata);
        if (error) reply(Object.assign(new Error(error.details), error) as ServiceError, null);
        else reply(null, Buffer.from(name));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    name,
    port,
    calls: () => calls,
    peerNames: () => peerNames,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
