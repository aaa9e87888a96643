export type { GroupOptions, NearDuplicateInput } from './grouping.js';
export { groupNearDuplicates } from './grouping.js';
export type { Admit } from './lanes.js';
// The pool threads' own loop (imagesPerThread in hand, within a pixel budget), for loops that
// hash without the pool and should match it (benchmarks).
export { hashImageInLane, inLanes, LANE_PIXELS } from './lanes.js';
export type { BatchMatchOptions, BatchSearcher } from './matcher.js';
export { matchBatch } from './matcher.js';
export type { ResolvedScannerOptions, ScannerOptions } from './options.js';
export { maxThreads, resolveScannerOptions } from './options.js';
export { type FilePath, readFileBounded } from './read-file.js';
export type { CreateScannerOptions } from './scanner.js';
export { createScanner, Scanner } from './scanner.js';
export type { ScanError, ScanInput, ScanOptions, ScanResult } from './types.js';
