import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); playwright-core never downloads a browser. */
export const CHROMIUM_PATH = process.env.STAYDOWN_CHROMIUM ?? '/usr/bin/chromium';

export function browserAvailability(env: NodeJS.ProcessEnv = process.env): { available: boolean; reason: string } {
  const available = existsSync(CHROMIUM_PATH);
  if (!available && env.CI === 'true')
    throw new Error(`Chromium missing at ${CHROMIUM_PATH}: .ci/run installs it with apt-get`);
  return { available, reason: available ? '' : `skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)` };
}

/**
 * Headless Chromium with everything that phones home switched off: this machine has no network
 * but loopback, and the reports under test must make no request at all.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
