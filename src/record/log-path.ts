// A Zeek log path as the data path knows it: one entry of the router's path table, shared
// by the queues and outlets that hold its records.

export interface LogPath {
  /** Small dense number below maxPaths, for per-path counters kept in typed arrays; reused once the path is forgotten. */
  readonly id: number
  readonly name: string
  readonly bytes: Buffer
  /** The table's hash of bytes. */
  readonly hash: number
  /** admitted[i]: endpoint i's include/exclude filters let this path through (replaced when the endpoints are). */
  admitted: readonly boolean[]
  /** Records of this path accepted from the input. */
  records: number
  /** The table's clock when the input last saw this path. */
  lastSeen: number
  /** Records of this path waiting in endpoint queues: while there are any, the path is kept. */
  queued: number
}
