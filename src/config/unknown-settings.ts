// Unknown KINFLUX_* variables: the config file refuses unknown keys, the environment names them in a warning
// (an exit would break deployments that set a variable meant for a newer kinflux).
import { SETTINGS } from './schema.js';

/** Levenshtein distance: the number of single-character edits between a and b. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The real setting closest to name by edit distance. */
export function closestSetting(name: string): string {
  let best = SETTINGS[0].env;
  let bestDistance = Infinity;
  for (const s of SETTINGS) {
    const d = editDistance(name.toUpperCase(), s.env);
    if (d < bestDistance) [best, bestDistance] = [s.env, d];
  }
  return best;
}

/** One warning per KINFLUX_* variable of env that is not a setting, naming the closest one. */
export function unknownSettingWarnings(env: Record<string, string | undefined>): string[] {
  const known = new Set(SETTINGS.map((s) => s.env));
  return Object.keys(env)
    .filter((k) => k.toUpperCase().startsWith('KINFLUX_') && !known.has(k))
    .sort()
    .map((k) => `unknown setting ${k} is ignored; did you mean ${closestSetting(k)}? (kinflux --help lists them all)`);
}
