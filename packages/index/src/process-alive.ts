/** Whether process `pid` still runs (EPERM: it runs as another user). For files a killed process left behind. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
