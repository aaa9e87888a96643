import { execFile } from 'node:child_process';

/**
 * Runs `source` as an ES module in a fresh Node process started in bench/ (so it resolves the
 * workspace packages as the benchmarks do), with `payload` as JSON in the environment variable
 * `envName`, and parses what it writes to stdout as JSON. Measurements made there are not
 * inflated by what this process holds (the corpus, the index, earlier passes' heaps).
 */
export function runModuleChild<T>(source: string, envName: string, payload: unknown, what: string): Promise<T> {
  const benchDir = new URL('../../', import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { cwd: benchDir, env: { ...process.env, [envName]: JSON.stringify(payload) }, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${what} failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as T);
      },
    );
  });
}
