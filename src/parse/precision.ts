// Timestamp precision as the two write APIs spell it.
import type { Precision } from './types.js';

const V1: Readonly<Record<string, Precision>> = { '': 'ns', n: 'ns', ns: 'ns', u: 'us', ms: 'ms', s: 's', m: 'm', h: 'h' };
const V2: Readonly<Record<string, Precision>> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };

/** Normalised precision, or undefined when the API does not accept the spelling. Absent means ns. */
export function parsePrecision(raw: string | undefined, api: 'v1' | 'v2'): Precision | undefined {
  if (raw === undefined) return 'ns';
  const table = api === 'v1' ? V1 : V2;
  return Object.hasOwn(table, raw) ? table[raw] : undefined;
}

/** InfluxDB 1.x's error text for a bad precision. */
export function v1PrecisionError(raw: string): string {
  return `invalid precision ${JSON.stringify(raw)} (use n, u, ms, s, m or h)`;
}

/** InfluxDB 2.x's error message for a bad precision. */
export const V2_PRECISION_ERROR = 'invalid precision; valid precision units are ns, us, ms, and s';

/** The bad-precision error text of the given API. */
export function precisionError(raw: string, api: 'v1' | 'v2'): string {
  return api === 'v1' ? v1PrecisionError(raw) : V2_PRECISION_ERROR;
}
