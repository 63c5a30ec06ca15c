// Receive time in nanoseconds: wall clock at start-up plus the monotonic clock since, for sub-millisecond resolution.
const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return base + process.hrtime.bigint();
}
