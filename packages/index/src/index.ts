export { type HugePagesStatus, hugePagesStatus } from '@staydown/huge-pages';
export { type ExportOptions, exportEntries } from './export.js';
export { formatFromPath, LIST_FORMATS, type ListFormat, MAX_LINE_BYTES, parseListFormat } from './formats.js';
/** The in-memory exact Hamming range search over packed 256-bit records (multi-index + wasm scan). */
export { chooseSubstrings, HammingTable } from './hamming-table.js';
export {
  byDistance,
  type EntryInput,
  HashIndex,
  type IndexStats,
  type ListInfo,
  type Match,
  type MatchResult,
  type MatchTotals,
  openIndex,
  type SearchOptions,
} from './hash-index.js';
export {
  IMPORT_DEFAULTS,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  importFile,
  type LineError,
} from './import.js';
export type { ColumnarMatchResult, MatchColumns } from './match-columns.js';
export { INDEX_DEFAULTS, type IndexOptions } from './options.js';
export type { Entry, EntryKey, ListSettings } from './store.js';
/** Synthetic hashes (uniform or clustered) for tests and benchmarks; never real material. */
export { type HashSetOptions, nearRecord, prng, recordHex, syntheticRecords } from './test-data.js';
