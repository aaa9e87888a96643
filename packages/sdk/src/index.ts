/**
 * @staydown/sdk — the one package a hotline imports: open an index, hash, scan on every core,
 * match and group images. Everything here is re-exported from the engine's packages, so the
 * types are the same ones the command line and the verifier use.
 */
export type { ErrorCode } from '@staydown/core';
export { ErrorCodes, isStaydownError, StaydownError } from '@staydown/core';
export type { DecodeLimits, HashOptions, ImageHashes, PdqDihedral, PdqPipeline } from '@staydown/hashing';
export { hashImage } from '@staydown/hashing';
export type {
  ColumnarMatchResult,
  EntryInput,
  ImportOptions,
  ImportReport,
  IndexOptions,
  ListInfo,
  Match,
  MatchColumns,
  MatchResult,
  MatchTotals,
  SearchOptions,
} from '@staydown/index';
export { HashIndex, importFile, openIndex } from '@staydown/index';
export type {
  CreateScannerOptions,
  GroupOptions,
  NearDuplicateInput,
  ScanError,
  ScanInput,
  ScannerOptions,
  ScanOptions,
  ScanResult,
} from '@staydown/scanner';
export { createScanner, groupNearDuplicates, maxThreads, Scanner } from '@staydown/scanner';
