export { RawGrpcStream, type RawGrpcStreamOptions } from './raw-grpc-stream';
