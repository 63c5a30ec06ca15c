// Receive time in nanoseconds: the wall clock, read each time (so a clock step is followed), with the
// sub-millisecond digits from the monotonic clock for resolution below 1 ms.
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000);
}
