// Builds the native part (one C file) with node-gyp, which npm puts on the PATH of its scripts.
// A machine without a compiler still installs: the index then searches without huge pages,
// and hugePagesStatus() says why. `--if-missing` (the build script) skips a built one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = fileURLToPath(new URL('../build/Release/huge_pages.node', import.meta.url));

if (process.platform !== 'linux') process.exit(0);
if (process.argv.includes('--if-missing') && existsSync(built)) process.exit(0);
const run = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (run.status !== 0) {
  const why = run.error?.message ?? run.stderr.trim().split('\n').slice(-3).join(' | ');
  console.warn(`@staydown/huge-pages: native part not built (${why}); searches run without huge pages`);
}
