export type { ConformanceAvailability } from './conformance.js';
export { conformanceAvailability, conformanceDir, repoRoot } from './conformance.js';
