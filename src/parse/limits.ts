export const MAX_KEY_LENGTH = 65535;
/**
 * Most fields in one line (kinflux's own limit; InfluxDB has none). Field offsets cost 17 bytes of
 * scratch each; beyond this a line is rejected rather than grown without bound. Even a 10 MiB record
 * cannot hold that many distinct fields in practice.
 */
export const MAX_FIELDS = 1 << 20;
