import PQueue from 'p-queue';

export interface HostQueueSettings {
  concurrency: number;
  perHostConcurrency: number;
  perHostIntervalMs: number;
}

interface HostState {
  queue: PQueue;
  resumeAt: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Politeness: every request runs inside its host's queue (concurrency + minimum spacing) and
 * then the global queue. A host that answers 429/503 is paused for its Retry-After (or a backoff)
 * so queued and retried requests wait instead of hammering it; other hosts carry on.
 */
export class HostQueues {
  private readonly global: PQueue;
  private readonly hosts = new Map<string, HostState>();

  constructor(private readonly settings: HostQueueSettings) {
    this.global = new PQueue({ concurrency: settings.concurrency });
  }

  run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const state = this.host(host);
    return state.queue.add(() => this.global.add(task, { signal }), { signal }) as Promise<T>;
  }

  /** Holds back the host's queued requests for `ms` (extends, never shortens, an earlier pause). */
  pauseHost(host: string, ms: number): void {
    const state = this.host(host);
    const resumeAt = Date.now() + ms;
    if (resumeAt <= state.resumeAt) return;
    state.resumeAt = resumeAt;
    state.queue.pause();
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = null;
      state.queue.start();
    }, ms);
  }

  /** When the host's pause ends (epoch ms), or null when it is not paused. */
  pausedUntil(host: string): number | null {
    const state = this.hosts.get(host);
    return state?.queue.isPaused ? state.resumeAt : null;
  }

  /** Drops queued work and timers (running requests are aborted by the caller's signal). */
  clear(): void {
    this.global.clear();
    for (const state of this.hosts.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.queue.clear();
    }
    this.hosts.clear();
  }

  private host(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      const interval = this.settings.perHostIntervalMs;
      const queue = new PQueue({
        concurrency: this.settings.perHostConcurrency,
        ...(interval > 0 ? { interval, intervalCap: 1 } : {}),
      });
      const created: HostState = { queue, resumeAt: 0, timer: null };
      // Forget idle hosts so a long run over many hosts does not keep one queue per host forever.
      queue.on('idle', () => {
        if (!created.queue.isPaused && created.timer === null && this.hosts.get(host) === created) {
          this.hosts.delete(host);
        }
      });
      this.hosts.set(host, created);
      state = created;
    }
    return state;
  }
}
