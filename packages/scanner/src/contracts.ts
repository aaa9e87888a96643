/**
 * The index contract from docs/ARCHITECTURE.md, so the scanner builds while @staydown/index
 * lands. Replaced by the real package's types.
 */
export interface Match {
  signal: string;
  hash: string;
  list: string;
  label: string | null;
  ref: string | null;
  distance: number;
}
export interface MatchResult {
  matches: Match[];
  suppressed: Match[];
}
export interface HashIndex {
  searchBatch(signal: string, hexes: string[], options?: { maxDistance?: number; lists?: string[] }): MatchResult[];
}
