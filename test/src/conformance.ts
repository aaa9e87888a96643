import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: two levels above this package's src/ or dist/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where Meta's and Commons Machinery's public test images live. The setting
 * STAYDOWN_CONFORMANCE_DIR overrides the default `../shared/conformance` beside the clone;
 * the files are read in place and never copied into the repository.
 */
export function conformanceDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(repoRoot, env.STAYDOWN_CONFORMANCE_DIR ?? '../shared/conformance');
}

export interface ConformanceAvailability {
  dir: string;
  available: boolean;
  /** Why tests skip, printed so a user's own clone says what is missing. */
  reason: string;
}

/**
 * Whether the conformance data is present. Absent data makes tests skip on a user's clone,
 * but under CI (CI=true) absence is an error: a green run must have checked bit-exactness.
 */
export function conformanceAvailability(sub: string, env: NodeJS.ProcessEnv = process.env): ConformanceAvailability {
  const dir = path.join(conformanceDir(env), sub);
  const available = existsSync(dir);
  if (!available && env.CI === 'true') {
    throw new Error(`conformance data missing at ${dir} (CI=true requires it; set STAYDOWN_CONFORMANCE_DIR)`);
  }
  return {
    dir,
    available,
    reason: available ? '' : `skipped: conformance data not found at ${dir} (set STAYDOWN_CONFORMANCE_DIR)`,
  };
}
