import type { Verdict } from '../crawl/types.js';
import type { DueCheckQueue } from './queue.js';
import { type ScriptedAnswer, ScriptedChecker } from './scripted-checker.js';

/**
 * Runs every pending check of the queue in due order on a simulated clock: each check "happens"
 * exactly at its due time and the script says what the URL showed then. Nothing is fetched and
 * nothing waits, so a schedule of days replays in milliseconds — for dry runs of an order's
 * schedule and for tests of reports and evidence. Stops after `maxChecks` (default 100 000).
 */
export async function replaySchedule(
  queue: DueCheckQueue,
  script: (url: string, at: number) => ScriptedAnswer,
  options: { orderId?: string; maxChecks?: number } = {},
): Promise<{ checks: number; verdicts: Record<Verdict, number> }> {
  const verdicts = {} as Record<Verdict, number>;
  let checks = 0;
  const max = options.maxChecks ?? 100_000;
  for (;;) {
    const at = await queue.nextDueAt(options.orderId);
    if (at === null || checks >= max) break;
    const checker = new ScriptedChecker(
      (url) => script(url, at),
      () => at,
    );
    const claimed = await queue.claim(at, 64, options.orderId);
    if (claimed.length === 0) break;
    for (const check of claimed) {
      const observation = await checker.check(check.url, check.expect);
      await queue.complete(check, observation, at);
      verdicts[observation.verdict] = (verdicts[observation.verdict] ?? 0) + 1;
      checks += 1;
    }
  }
  return { checks, verdicts };
}
