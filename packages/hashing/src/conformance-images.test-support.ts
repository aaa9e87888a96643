import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root, three levels above this package's src/. */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The public conformance images with this extension (`.jpg`, `.png`), read in place from
 * STAYDOWN_CONFORMANCE_DIR (default `../shared/conformance` beside the clone, as in
 * @staydown/test). Tests that also check synthetic images use these when present and say how
 * many they read; under CI (CI=true) a missing folder is an error, so a green run read them.
 */
export function conformanceImages(extension: string, env: NodeJS.ProcessEnv = process.env): Buffer[] {
  const dir = path.resolve(repoRoot, env.STAYDOWN_CONFORMANCE_DIR ?? '../shared/conformance');
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (error) {
    if (env.CI === 'true')
      throw new Error(`conformance images missing at ${dir} (CI=true requires them)`, { cause: error });
    console.log(`conformance images not found at ${dir}: synthetic images only (set STAYDOWN_CONFORMANCE_DIR)`);
    return [];
  }
  return names.filter((name) => name.endsWith(extension)).map((name) => readFileSync(path.join(dir, name)));
}
