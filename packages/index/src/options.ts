/** Options of openIndex, with their defaults in one place. */
export interface IndexOptions {
  /** Open without writing (several processes may read at once either way). Default false. */
  readOnly?: boolean;
  /**
   * Persist the in-memory search arrays beside the store so the next open is fast; a
   * snapshot whose generation differs from the store's is ignored and rebuilt. Default true.
   */
  snapshots?: boolean;
  /**
   * Refuse (INDEX_OPEN_FAILED) a folder that holds no index instead of creating one. Default
   * false; a read-only open never creates one. For commands that change an existing index
   * (enable a list…), so a mistyped path does not leave a new, empty index behind.
   */
  mustExist?: boolean;
}

export const INDEX_DEFAULTS: Required<IndexOptions> = { readOnly: false, snapshots: true, mustExist: false };

export function resolveIndexOptions(options: IndexOptions = {}): Required<IndexOptions> {
  return {
    readOnly: options.readOnly ?? INDEX_DEFAULTS.readOnly,
    snapshots: options.snapshots ?? INDEX_DEFAULTS.snapshots,
    mustExist: options.mustExist ?? INDEX_DEFAULTS.mustExist,
  };
}
