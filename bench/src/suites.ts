import type { Suite } from './harness.js';
import { accuracySuite } from './suites/accuracy.js';
import { evidenceSuite } from './suites/evidence.js';
import { hashingSuite } from './suites/hashing.js';
import { indexSuite } from './suites/index.js';
import { scannerSuite } from './suites/scanner.js';
import { verifySuite } from './suites/verify.js';

/**
 * Every suite `npm run bench` runs, in order. Each issue's work adds its suite module here
 * (one import, one entry): hashing, index, scanner, verify.
 */
export async function loadSuites(): Promise<Suite[]> {
  return [hashingSuite, indexSuite, scannerSuite, verifySuite, evidenceSuite, accuracySuite];
}
