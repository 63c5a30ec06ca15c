// OTLP protobuf → ExportRequest. Placeholder until the shared protobuf wire reader lands (src/decode).
import { OtlpDecodeError, type DecodeLimits, type ExportRequest } from './model.js';

export function decodeProtobufRequest(_body: Buffer, _limits: DecodeLimits): ExportRequest {
  throw new OtlpDecodeError('application/x-protobuf is not supported yet: send application/json');
}
