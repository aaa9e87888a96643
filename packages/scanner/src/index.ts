export type { GroupOptions, NearDuplicateInput } from './grouping.js';
export { groupNearDuplicates } from './grouping.js';
export type { BatchMatchOptions, BatchSearcher } from './matcher.js';
export { matchBatch } from './matcher.js';
export type { ResolvedScannerOptions, ScannerOptions } from './options.js';
export { maxThreads, resolveScannerOptions } from './options.js';
export type { CreateScannerOptions } from './scanner.js';
export { createScanner, Scanner } from './scanner.js';
export type { ScanError, ScanInput, ScanOptions, ScanResult } from './types.js';
