import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Whether process `pid` still runs (EPERM: it runs as another user). For files a killed process left behind. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `dir` that a process killed mid-write left: `pidOf` reads the writer's
 * pid from an entry's name (undefined: not such an entry); this process's and live ones stay.
 */
export function removeLeftovers(dir: string, pidOf: (name: string) => number | undefined): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = pidOf(name);
    if (pid !== undefined && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid)) {
      rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}
