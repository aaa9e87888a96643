export { browserAvailability, CHROMIUM_PATH, launchBrowser } from './browser.js';
export type { ConformanceAvailability } from './conformance.js';
export { conformanceAvailability, conformanceDir, repoRoot } from './conformance.js';
export * from './fault-server/index.js';
export { type SyntheticImageOptions, syntheticImage } from './scanner/synthetic.js';
