// A stream is configured by name or by ARN; the API wants StreamARN for an ARN (it also routes
// ARN calls to account-scoped endpoints) and StreamName otherwise.
const ARN = /^arn:aws[\w-]*:kinesis:[^:]*:\d{12}:stream\/.+$/;

export function isStreamArn(stream: string): boolean {
  return ARN.test(stream);
}

export function streamParams(stream: string): { StreamARN: string } | { StreamName: string } {
  return isStreamArn(stream) ? { StreamARN: stream } : { StreamName: stream };
}
