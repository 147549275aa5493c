import {
  Server,
  ServerCredentials,
  type status,
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
  stop(): Promise<void>;
}

/**
 * A real gRPC server on loopback answering ECHO_METHOD with its own name, or with the error
 * `fail` returns for the n-th call (1-based) when it returns one.
 */
export async function startGrpcBackend(
  name: string,
  fail?: (call: number) => { code: status; details: string } | undefined,
): Promise<GrpcBackend> {
  let calls = 0;
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
      Who: (_call: ServerUnaryCall<Buffer, Buffer>, reply: sendUnaryData<Buffer>) => {
        calls += 1;
        const error = fail?.(calls);
        if (error) reply(Object.assign(new Error(error.details), error) as ServiceError, null);
        else reply(null, Buffer.from(name));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    name,
    port,
    calls: () => calls,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
